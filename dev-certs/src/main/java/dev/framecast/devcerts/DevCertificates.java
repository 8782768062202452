package dev.framecast.devcerts;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Development certificates for mutual TLS between the gateway, the scheduler and the nodes: a CA,
 * and certificates it issues that name a service ({@code framecast-gateway}, ...) and the hosts it
 * answers on. EC P-256 keys, written as PEM (certificates) and PKCS#8 PEM (keys, mode 0600). For
 * production, a real issuer (cert-manager on Kubernetes) makes the same shapes.
 */
public final class DevCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private DevCertificates() {}

  /** A certificate authority: its key pair and self-signed certificate. */
  public record Authority(KeyPair keys, X509Certificate certificate) {
    /** A new CA named {@code name}, valid from an hour ago for {@code validity}. */
    public static Authority create(String name, Duration validity) {
      KeyPair keys = keyPair();
      X500Name subject = name(name);
      try {
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder =
            builder(subject, subject, keys.getPublic(), validity)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(
                    Extension.subjectKeyIdentifier,
                    false,
                    extensions.createSubjectKeyIdentifier(keys.getPublic()));
        return new Authority(keys, sign(builder, keys.getPrivate()));
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException("could not make a CA certificate", e);
      }
    }

    /** A CA written before by {@link #write}. */
    public static Authority read(Path certificate, Path key) throws IOException {
      X509Certificate ca = readCertificates(certificate).get(0);
      PrivateKey privateKey = readKey(key);
      return new Authority(new KeyPair(ca.getPublicKey(), privateKey), ca);
    }

    public void write(Path certificateFile, Path keyFile) throws IOException {
      writeCertificates(certificateFile, List.of(certificate));
      writeKey(keyFile, keys.getPrivate());
    }

    /**
     * A certificate for service {@code name} (its common name and first DNS name), answering on
     * {@code hosts} (DNS names or IP addresses), for TLS servers and clients alike.
     */
    public Issued issue(String name, List<String> hosts, Duration validity) {
      KeyPair leaf = keyPair();
      return new Issued(
          leaf.getPrivate(),
          List.of(
              leaf(
                  X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                  certificate,
                  keys.getPrivate(),
                  name,
                  hosts,
                  leaf,
                  validity)));
    }
  }

  /** A service certificate for TLS servers and clients alike, signed by {@code signer}. */
  private static X509Certificate leaf(
      X500Name issuer,
      X509Certificate issuerCertificate,
      PrivateKey signer,
      String name,
      List<String> hosts,
      KeyPair leaf,
      Duration validity) {
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          builder(issuer, name(name), leaf.getPublic(), validity)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(Extension.subjectAlternativeName, false, alternativeNames(name, hosts))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  extensions.createSubjectKeyIdentifier(leaf.getPublic()));
      if (issuerCertificate != null) {
        builder.addExtension(
            Extension.authorityKeyIdentifier,
            false,
            extensions.createAuthorityKeyIdentifier(issuerCertificate));
      }
      return sign(builder, signer);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("could not issue a certificate for " + name, e);
    }
  }

  /** A private key and its certificate chain (leaf first). */
  public record Issued(PrivateKey key, List<X509Certificate> chain) {
    public Issued {
      chain = List.copyOf(chain);
    }

    public void write(Path certificateFile, Path keyFile) throws IOException {
      write(certificateFile, keyFile, false);
    }

    /** With {@code readableKey}, the key file is readable by every user (0644). */
    public void write(Path certificateFile, Path keyFile, boolean readableKey) throws IOException {
      writeCertificates(certificateFile, chain);
      writeKey(keyFile, key, readableKey);
    }
  }

  /** A self-signed certificate for {@code name}, trusted by nobody: what an impostor shows. */
  public static Issued selfSigned(String name, List<String> hosts) {
    KeyPair keys = keyPair();
    return new Issued(
        keys.getPrivate(),
        List.of(leaf(name(name), null, keys.getPrivate(), name, hosts, keys, Duration.ofDays(1))));
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 in this JDK", e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Framecast development")
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  private static X509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, java.security.PublicKey key, Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(127, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(validity)),
        subject,
        key);
  }

  private static GeneralNames alternativeNames(String name, List<String> hosts) {
    Set<String> all = new LinkedHashSet<>();
    all.add(name);
    all.addAll(hosts);
    List<GeneralName> names = new ArrayList<>();
    for (String host : all) {
      names.add(
          ipLiteral(host)
              ? new GeneralName(GeneralName.iPAddress, host)
              : new GeneralName(GeneralName.dNSName, host));
    }
    return new GeneralNames(names.toArray(GeneralName[]::new));
  }

  static boolean ipLiteral(String host) {
    if (host.contains(":")) {
      return true; // IPv6
    }
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      ContentSigner signature = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signature));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** Writes PEM certificates, replacing the file atomically. */
  public static void writeCertificates(Path file, List<X509Certificate> certificates)
      throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      for (X509Certificate certificate : certificates) {
        pem.writeObject(certificate);
      }
    }
    replace(file, text.toString(), false);
  }

  /** Writes a PKCS#8 PEM private key ({@code BEGIN PRIVATE KEY}), readable by its owner only. */
  public static void writeKey(Path file, PrivateKey key) throws IOException {
    writeKey(file, key, false);
  }

  /** As {@link #writeKey(Path, PrivateKey)}; with {@code readable}, readable by every user. */
  public static void writeKey(Path file, PrivateKey key, boolean readable) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", key.getEncoded()));
    }
    replace(file, text.toString(), !readable);
  }

  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    List<X509Certificate> certificates = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        if (object instanceof X509CertificateHolder holder) {
          certificates.add(converter.getCertificate(holder));
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IOException(file + ": no PEM certificate");
    }
    return certificates;
  }

  public static PrivateKey readKey(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (object instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      throw new IOException(file + ": no PEM private key");
    }
  }

  private static void replace(Path file, String text, boolean secret) throws IOException {
    Path directory = file.toAbsolutePath().getParent();
    Files.createDirectories(directory);
    Path temporary = Files.createTempFile(directory, "." + file.getFileName(), ".tmp");
    try {
      try {
        // Certificates are public; a key is its owner's alone.
        Files.setPosixFilePermissions(
            temporary, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: the directory's permissions protect it
      }
      Files.writeString(temporary, text, StandardCharsets.US_ASCII);
      try {
        Files.move(
            temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
