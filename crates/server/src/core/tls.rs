//! TLS material: a self-signed certificate generated on first start, or the administrator's
//! own, and the SHA-256 fingerprint agents pin.

use std::path::{Path, PathBuf};

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
        let fingerprint = fingerprint_of(cert_path)?;
        return Ok(TlsMaterial {
            cert_path: cert_path.into(),
            key_path: key_path.into(),
            fingerprint,
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
    let fingerprint = fingerprint_of(&cert_path)?;
    let io = |source| TlsError::Io {
        path: dir.join("fingerprint.txt"),
        source,
    };
    std::fs::write(dir.join("fingerprint.txt"), format!("{fingerprint}\n")).map_err(io)?;
    Ok(TlsMaterial {
        cert_path,
        key_path,
        fingerprint,
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
    let cert = CertificateDer::from_pem_file(path)
        .map_err(|error| TlsError::Certificate(format!("{}: {error}", path.display())))?;
    Ok(hex::encode(Sha256::digest(cert.as_ref())))
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
        let mode = std::fs::metadata(&first.key_path).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
    }
}
