//! TLS material: a self-signed certificate generated on first start, or the administrator's
//! own, the SHA-256 fingerprint agents pin, and the public-key pin `curl --pinnedpubkey`
//! takes (the agent install command).

use std::path::{Path, PathBuf};

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use sha2::{Digest, Sha256};

/// Certificate and key files the listener serves, and the fingerprint of the certificate.
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    /// PEM certificate chain.
    pub cert_path: PathBuf,
    /// PEM private key.
    pub key_path: PathBuf,
    /// SHA-256 of the leaf certificate's DER, lowercase hex: what `--ca-fingerprint` takes.
    pub fingerprint: String,
    /// `sha256//` and the base64 SHA-256 of the leaf certificate's SubjectPublicKeyInfo: what
    /// `curl --pinnedpubkey` takes. `None` when the certificate could not be parsed for it
    /// (the install command then trusts the system's certificate authorities instead).
    pub public_key_pin: Option<String>,
    /// True when this start generated the certificate.
    pub generated: bool,
}

/// Failures preparing TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Certificate generation or parsing failed.
    #[error("certificate: {0}")]
    Certificate(String),
}

/// Uses the given certificate and key, or the one in `data_dir/tls`, generating it on first use.
///
/// # Errors
/// [`TlsError`] when files cannot be read or written or the certificate is unusable.
pub fn prepare(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> Result<TlsMaterial, TlsError> {
    if let (Some(cert_path), Some(key_path)) = (cert, key) {
        let (fingerprint, public_key_pin) = pins_of(cert_path)?;
        return Ok(TlsMaterial {
            cert_path: cert_path.into(),
            key_path: key_path.into(),
            fingerprint,
            public_key_pin,
            generated: false,
        });
    }
    let dir = data_dir.join("tls");
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    let mut generated = false;
    if !cert_path.exists() || !key_path.exists() {
        generate(&dir, &cert_path, &key_path)?;
        generated = true;
    }
    let (fingerprint, public_key_pin) = pins_of(&cert_path)?;
    let io = |source| TlsError::Io {
        path: dir.join("fingerprint.txt"),
        source,
    };
    std::fs::write(dir.join("fingerprint.txt"), format!("{fingerprint}\n")).map_err(io)?;
    Ok(TlsMaterial {
        cert_path,
        key_path,
        fingerprint,
        public_key_pin,
        generated,
    })
}

fn generate(dir: &Path, cert_path: &Path, key_path: &Path) -> Result<(), TlsError> {
    std::fs::create_dir_all(dir).map_err(|source| TlsError::Io {
        path: dir.into(),
        source,
    })?;
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if let Ok(hostname) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let hostname = hostname.trim();
        if !hostname.is_empty() && hostname != "localhost" {
            names.push(hostname.to_string());
        }
    }
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|error| TlsError::Certificate(error.to_string()))?;
    write_private(key_path, certified.key_pair.serialize_pem().as_bytes())?;
    std::fs::write(cert_path, certified.cert.pem()).map_err(|source| TlsError::Io {
        path: cert_path.into(),
        source,
    })?;
    Ok(())
}

/// Writes a file readable by its owner only.
///
/// # Errors
/// [`TlsError::Io`] when the file cannot be written.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| TlsError::Io {
        path: path.into(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(contents).map_err(io)?;
    Ok(())
}

/// The SHA-256 fingerprint of the first certificate in a PEM file.
///
/// # Errors
/// When the file has no readable certificate.
pub fn fingerprint_of(path: &Path) -> Result<String, TlsError> {
    Ok(pins_of(path)?.0)
}

/// The fingerprint and the public-key pin of the first certificate in a PEM file; the pin is
/// `None` (and a warning logged) for a certificate webpki cannot parse.
fn pins_of(path: &Path) -> Result<(String, Option<String>), TlsError> {
    let cert = CertificateDer::from_pem_file(path)
        .map_err(|error| TlsError::Certificate(format!("{}: {error}", path.display())))?;
    let public_key_pin = match public_key_pin(&cert) {
        Ok(pin) => Some(pin),
        Err(error) => {
            tracing::warn!(
                message = "The certificate's public key cannot be read; the agent install command will rely on the system's certificate authorities.",
                path = %path.display(),
                %error
            );
            None
        }
    };
    Ok((hex::encode(Sha256::digest(cert.as_ref())), public_key_pin))
}

/// `sha256//<base64 of the SHA-256 of the certificate's DER SubjectPublicKeyInfo>`, the form
/// `curl --pinnedpubkey` takes (and HPKP's `pin-sha256` value after the prefix).
///
/// # Errors
/// [`TlsError::Certificate`] when the DER is not an X.509 v3 certificate.
pub fn public_key_pin(cert: &CertificateDer<'_>) -> Result<String, TlsError> {
    let parsed = webpki::EndEntityCert::try_from(cert)
        .map_err(|error| TlsError::Certificate(format!("{error:?}")))?;
    let spki = parsed.subject_public_key_info();
    let digest = Sha256::digest(spki.as_ref());
    Ok(format!(
        "sha256//{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_keeps_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let first = prepare(dir.path(), None, None).unwrap();
        assert!(first.generated);
        assert_eq!(first.fingerprint.len(), 64);
        let second = prepare(dir.path(), None, None).unwrap();
        assert!(!second.generated);
        assert_eq!(first.fingerprint, second.fingerprint);
        assert!(first.public_key_pin.is_some());
        assert_eq!(first.public_key_pin, second.public_key_pin);
        let mode = std::fs::metadata(&first.key_path).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }

    /// A P-256 certificate made with `openssl req -x509 -newkey ec`, and what openssl says of
    /// it: `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst
    /// -sha256 -binary | base64`, and `openssl x509 -noout -fingerprint -sha256`.
    const OPENSSL_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUAXAVFOM7PImBkifMyn10kiKFOZQwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOa2FucmktcGluLXRlc3QwIBcNMjYxMTIzMjExNjAwWhgPMjEy
NjEwMzAyMTE2MDBaMBkxFzAVBgNVBAMMDmthbnJpLXBpbi10ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEIBDyYM6cW581Cn3T2rkT19HqwPNY0nw+QS1f/u6F
emf/PPEwcuXsO/g7NEHj+eupvhkU2NfgfdeEhoGKiwgp8KNTMFEwHQYDVR0OBBYE
FOfrWuoZCPQLgwLAGdZD1TeZWWQFMB8GA1UdIwQYMBaAFOfrWuoZCPQLgwLAGdZD
1TeZWWQFMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAMXa7dHW
rL4z4m+Tr65pvi5RXPWAbhH0vgjx1qyR+zWDAiBhR2/hqBPxYNuEIqMuNUDuOMQY
z0OWK96QfdbxpgAR7g==
-----END CERTIFICATE-----
";

    #[test]
    fn pins_match_what_openssl_computes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        std::fs::write(&path, OPENSSL_CERT).unwrap();
        let (fingerprint, pin) = pins_of(&path).unwrap();
        assert_eq!(
            pin.as_deref(),
            Some("sha256//Tukf9KzbvEt0zWa7+EbHOvr5E52V17aySKnqzbu5lmI=")
        );
        assert_eq!(
            fingerprint,
            "53426fea56c6441122b878f8af01431f36c995222bdafde85d8daab6c765f667"
        );
    }

    #[test]
    fn the_pin_is_the_hash_of_the_key_the_certificate_was_made_with() {
        let certified = rcgen::generate_simple_self_signed(vec!["kanri.test".into()]).unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(certified.key_pair.public_key_der()));
        let pin = public_key_pin(certified.cert.der()).unwrap();
        assert_eq!(pin, format!("sha256//{expected}"));
        let other = rcgen::generate_simple_self_signed(vec!["kanri.test".into()]).unwrap();
        assert_ne!(public_key_pin(other.cert.der()).unwrap(), pin);
    }

    #[test]
    fn a_non_certificate_has_no_pin() {
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
        assert!(public_key_pin(&junk).is_err());
    }
}
