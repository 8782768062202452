#!/usr/bin/env python3
"""Generate a clip with Framecast's public gRPC API (framecast.v1.VideoGeneration/Generate).

Compiles the .proto files into a temporary directory at start-up (grpcio-tools), calls Generate
with a bearer token, prints progress, writes the MP4 and prints the job id, seed and GPU-seconds.
Exits non-zero on any error, with the gRPC status and its google.rpc details.

    ./framecast serve --port 8080 &
    FRAMECAST_TOKEN=$(./framecast token --tenant acme) \\
      /usr/bin/python3 examples/python/generate.py "a red circle moving right" --steps 12
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import grpc

REPO = Path(__file__).resolve().parents[2]
API_PROTO = "framecast/v1/video_generation.proto"
RPC_PROTOS = ["google/rpc/status.proto", "google/rpc/error_details.proto"]
# WatchJob resumes a stream that broke with one of these (the job keeps running server-side).
RESUMABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
MAX_RESUMES = 5


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("prompt")
    p.add_argument("--server", default="localhost:8080", help="gateway host:port (plaintext)")
    p.add_argument("--token", default=os.environ.get("FRAMECAST_TOKEN"),
                   help="bearer token (default: $FRAMECAST_TOKEN)")
    p.add_argument("--negative-prompt", default="")
    p.add_argument("--model", default="", help="pipeline name (default: the tenant's default)")
    p.add_argument("--steps", type=int, default=0, help="0 = the pipeline's default")
    p.add_argument("--guidance", type=float, help="guidance scale (default: the pipeline's)")
    p.add_argument("--seed", type=int, help="default: drawn by the server")
    p.add_argument("--preview-every", type=int, default=0)
    p.add_argument("--out", default="clip.mp4", help="where to write the MP4")
    p.add_argument("--timeout", type=float, default=600, help="seconds for the whole call")
    p.add_argument("--proto-path", action="append", default=[],
                   help="extra directory with .proto imports (google/rpc/status.proto)")
    args = p.parse_args()
    if not args.token:
        p.error("no token: pass --token or set FRAMECAST_TOKEN (./framecast token --tenant acme)")
    return args


# ---- Stubs, compiled at run time ---------------------------------------------------------------

def find_rpc_protos(extra_dirs, tmp):
    """A directory holding google/rpc/{status,error_details}.proto.

    They are not in proto/src/main/proto: the proto module gets them from the
    com.google.api.grpc:proto-google-common-protos jar, which the Maven build unpacks into
    proto/target/protoc-dependencies/<hash>/. Failing that, the jar in the local Maven repository.
    """
    dirs = list(extra_dirs) + sorted(glob.glob(str(REPO / "proto/target/protoc-dependencies/*")))
    for d in dirs:
        if all((Path(d) / p).is_file() for p in RPC_PROTOS):
            return d
    jars = sorted(glob.glob(os.path.expanduser(
        "~/.m2/repository/com/google/api/grpc/proto-google-common-protos/*/*.jar")))
    for jar in reversed(jars):
        with zipfile.ZipFile(jar) as z:
            if all(p in z.namelist() for p in RPC_PROTOS):
                out = Path(tmp) / "common-protos"
                for p in RPC_PROTOS:
                    z.extract(p, out)
                return str(out)
    sys.exit("generate.py: google/rpc/status.proto not found: build the proto module once "
             "(./mvnw -pl proto generate-sources) or pass --proto-path DIR")


def optional_as_oneof(text):
    """Proto3 `optional` for a protoc older than 3.15 (Debian 12's grpcio-tools 1.14 is from 2018).

    `optional T x = N;` is, on the wire, in JSON and in the descriptor, a one-field oneof named
    `_x`; the older compiler accepts that spelling, and HasField/presence behave the same.
    """
    return re.sub(r"(?m)^(\s*)optional\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;",
                  r"\1oneof _\3 { \2 \3 = \4; }", text)


def compile_protos(tmp, extra_dirs):
    import grpc_tools

    well_known = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    src = Path(tmp) / "src"
    shutil.copytree(REPO / "proto/src/main/proto/framecast", src / "framecast")
    rpc_dir = Path(find_rpc_protos(extra_dirs, tmp))
    for p in RPC_PROTOS:
        (src / p).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rpc_dir / p, src / p)
    out = Path(tmp) / "gen"
    out.mkdir()

    def protoc():
        cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{src}", f"-I{well_known}",
               f"--python_out={out}", f"--grpc_python_out={out}", API_PROTO, *RPC_PROTOS]
        return subprocess.run(cmd, capture_output=True, text=True)

    result = protoc()
    if result.returncode != 0 and "'optional'" in result.stderr:
        for p in [API_PROTO, *RPC_PROTOS]:
            (src / p).write_text(optional_as_oneof((src / p).read_text()))
        result = protoc()
    if result.returncode != 0:
        sys.exit(f"generate.py: protoc failed:\n{result.stderr}")
    sys.path.insert(0, str(out))


# ---- Errors ------------------------------------------------------------------------------------

def describe_details(details):
    """One line per google.rpc detail (a google.protobuf.Any)."""
    from google.rpc import error_details_pb2

    lines = []
    kinds = {
        "BadRequest": error_details_pb2.BadRequest,
        "RetryInfo": error_details_pb2.RetryInfo,
        "QuotaFailure": error_details_pb2.QuotaFailure,
        "ErrorInfo": error_details_pb2.ErrorInfo,
        "PreconditionFailure": error_details_pb2.PreconditionFailure,
    }
    for any_msg in details:
        name = any_msg.type_url.rsplit(".", 1)[-1]
        if name not in kinds:
            lines.append(f"  {any_msg.type_url}")
            continue
        d = kinds[name]()
        any_msg.Unpack(d)
        if name == "BadRequest":
            lines += [f"  field {v.field}: {v.description}" for v in d.field_violations]
        elif name == "RetryInfo":
            lines.append(f"  retry after {d.retry_delay.ToTimedelta().total_seconds():g} s")
        elif name == "ErrorInfo":
            lines.append(f"  reason {d.reason} ({d.domain}) {dict(d.metadata) or ''}".rstrip())
        else:
            lines += [f"  {v.subject}: {v.description}" for v in d.violations]
    return lines


def report_rpc_error(error):
    from google.rpc import status_pb2

    print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for line in describe_details(status.details):
                print(line, file=sys.stderr)


# ---- The call ----------------------------------------------------------------------------------

def main():
    args = parse_args()
    tmp = tempfile.mkdtemp(prefix="framecast-stubs-")
    try:
        compile_protos(tmp, args.proto_path)
        return run(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args):
    from framecast.v1 import video_generation_pb2 as pb
    from framecast.v1 import video_generation_pb2_grpc as pb_grpc

    request = pb.GenerateRequest(prompt=args.prompt, negative_prompt=args.negative_prompt,
                                 model=args.model, steps=args.steps,
                                 preview_every=args.preview_every)
    if args.seed is not None:
        request.seed = args.seed
    if args.guidance is not None:
        request.guidance_scale = args.guidance
    metadata = [("authorization", f"Bearer {args.token}")]

    clip = bytearray()
    job_id, last_seq, resumes = "", 0, 0
    with grpc.insecure_channel(args.server) as channel:
        stub = pb_grpc.VideoGenerationStub(channel)
        stream = stub.Generate(request, metadata=metadata, timeout=args.timeout)
        while True:
            try:
                for event in stream:
                    job_id, last_seq = event.job_id, max(last_seq, event.seq)
                    done = handle(event, clip, args)
                    if done is not None:
                        return done
                print("error: the stream ended before the job did", file=sys.stderr)
                return 1
            except grpc.RpcError as error:
                if job_id and error.code() in RESUMABLE and resumes < MAX_RESUMES:
                    resumes += 1
                    print(f"stream broke ({error.code().name}); resuming {job_id} after seq {last_seq}")
                    stream = stub.WatchJob(pb.WatchJobRequest(job_id=job_id, after_seq=last_seq),
                                           metadata=metadata, timeout=args.timeout)
                    continue
                report_rpc_error(error)
                return 1


def handle(event, clip, args):
    """Prints one event; returns the exit code once the job has ended, else None."""
    kind = event.WhichOneof("event")
    if kind == "queued":
        print(f"job {event.job_id}: queued (position {event.queued.position})")
    elif kind == "started":
        print(f"job {event.job_id}: started on {event.started.node or 'a node'}")
    elif kind == "progress":
        p = event.progress
        preview = f", preview {len(p.preview_png)} B" if p.preview_png else ""
        print(f"step {p.step}/{p.total_steps}{preview}")
    elif kind == "frame":
        pass  # only sent with include_frames
    elif kind == "clip_chunk":
        c = event.clip_chunk
        end = c.offset + len(c.data)
        if len(clip) < end:
            clip.extend(bytes(end - len(clip)))
        clip[c.offset:end] = c.data
    elif kind == "completed":
        c = event.completed
        Path(args.out).write_bytes(clip)
        info = c.clip
        print(f"wrote {args.out}: {len(clip)} bytes, {info.frame_count} frames "
              f"{info.width}x{info.height} at {info.fps:g} fps ({info.content_type})")
        print(f"job {event.job_id}: succeeded; seed {c.seed}, {c.gpu_seconds:.3f} GPU-seconds")
        return 0
    elif kind == "failed":
        s = event.failed.status
        print(f"job {event.job_id}: failed: code {s.code}: {s.message}", file=sys.stderr)
        for line in describe_details(s.details):
            print(line, file=sys.stderr)
        return 1
    elif kind == "cancelled":
        print(f"job {event.job_id}: cancelled: {event.cancelled.reason}", file=sys.stderr)
        return 1
    return None


if __name__ == "__main__":
    sys.exit(main())
