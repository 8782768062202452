# The model repository as an image, for the init container that copies it into each node pod
# (deploy/k8s/overlays/gpu/triton.yaml says why). Only the three models: not training/.
#   docker build -f deploy/docker/triton-models.Dockerfile -t ghcr.io/framecast/triton-models:0.1.0 .
FROM busybox:1.36.1
COPY triton-models/text_encoder /models/text_encoder
COPY triton-models/dit /models/dit
COPY triton-models/vae /models/vae
USER 65534:65534
CMD ["ls", "-R", "/models"]
