//! The self-signed certificate made at start (valid for `localhost` and `127.0.0.1`) and the rustls server configuration (ring provider).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::state::EmulatorError;

/// A freshly generated certificate and key.
#[derive(Debug, Clone)]
pub struct SelfSignedCert {
    /// The certificate in PEM, for clients to trust (`REQUESTS_CA_BUNDLE`, `--cacert`).
    pub cert_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl SelfSignedCert {
    /// Makes a certificate for `localhost` and `127.0.0.1`.
    pub fn generate() -> Result<Self, EmulatorError> {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|error| EmulatorError::Tls(format!("cannot make a certificate: {error}")))?;
        Ok(Self {
            cert_pem: certified.cert.pem(),
            cert_der: certified.cert.der().to_vec(),
            key_der: certified.key_pair.serialize_der(),
        })
    }

    /// A rustls server configuration that presents this certificate (HTTP/1.1 via ALPN).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, EmulatorError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| EmulatorError::Tls(error.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(self.cert_der.clone())], key)
            .map_err(|error| EmulatorError::Tls(error.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
