package dev.framecast.common.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** What a certificate names: the identity a peer is authorised by. */
public final class Certificates {
  private static final int DNS_NAME = 2;
  private static final int URI = 6;

  private Certificates() {}

  /**
   * The names a certificate carries, lower-cased: its subject's common name, its DNS names and its
   * URI names (subject alternative names). A peer is accepted when one of them is expected.
   */
  public static Set<String> names(X509Certificate certificate) {
    Set<String> names = new LinkedHashSet<>();
    commonName(certificate).ifPresent(cn -> names.add(cn.toLowerCase(Locale.ROOT)));
    try {
      Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> entry : alternatives) {
          Object type = entry.get(0);
          if (type instanceof Integer kind
              && (kind == DNS_NAME || kind == URI)
              && entry.get(1) instanceof String name) {
            names.add(name.toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // A certificate whose alternative names cannot be read is known by its common name only.
    }
    return names;
  }

  /** The subject's common name, if it has one. */
  public static java.util.Optional<String> commonName(X509Certificate certificate) {
    try {
      LdapName subject = new LdapName(certificate.getSubjectX500Principal().getName());
      for (Rdn rdn : subject.getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return java.util.Optional.of(String.valueOf(rdn.getValue()));
        }
      }
    } catch (InvalidNameException e) {
      // fall through: no common name
    }
    return java.util.Optional.empty();
  }

  /** A short description for messages and logs: the names, or the subject when it names none. */
  public static String describe(X509Certificate certificate) {
    Set<String> names = names(certificate);
    return names.isEmpty()
        ? certificate.getSubjectX500Principal().getName()
        : String.join(", ", names);
  }

  /** Whether the certificate names one of {@code expected} (compared without case). */
  static boolean namesAny(X509Certificate certificate, Set<String> expected) {
    for (String name : names(certificate)) {
      if (expected.contains(name)) {
        return true;
      }
    }
    return false;
  }
}
