//! TLS for the `http2-tls` and `http3` drivers: a self-signed certificate made at start
//! with rcgen, and rustls configurations with the ring provider on both
//! sides (never aws-lc-rs, which needs cmake to build).
//!
//! The server offers ALPN `h2` and `http/1.1`; a client that offers both
//! gets HTTP/2, a client that offers only `http/1.1` falls back to it. The
//! certificate names `localhost`, `127.0.0.1` and `*.crossdrive.test`, and
//! the clients trust exactly that certificate, so verification stays on.
//!
//! With the `http3` feature the same certificate also makes quinn's
//! configurations: TLS 1.3 only (QUIC has no other) and ALPN `h3` only.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// ALPN offer of the `http2-tls` driver: HTTP/2 preferred, HTTP/1.1 allowed.
pub(crate) const ALPN_H2: &[&[u8]] = &[b"h2", b"http/1.1"];
/// ALPN offer of a client that only speaks HTTP/1.1.
pub(crate) const ALPN_H1: &[&[u8]] = &[b"http/1.1"];

/// ALPN of the `http3` driver, on both sides: HTTP/3 and nothing else.
#[cfg(feature = "http3")]
pub(crate) const ALPN_H3: &[&[u8]] = &[b"h3"];

/// The certificate a TLS server presents, and its acceptor.
pub(crate) struct Material {
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
    certificate: CertificateDer<'static>,
    /// The certificate's key, for the QUIC server configuration.
    #[cfg(feature = "http3")]
    key: PrivatePkcs8KeyDer<'static>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Material {
    /// A fresh self-signed certificate and a server configuration for it.
    pub(crate) fn generate() -> Result<Self, String> {
        let key =
            rcgen::KeyPair::generate().map_err(|e| format!("cannot generate a TLS key ({e})"))?;
        let params = rcgen::CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "*.crossdrive.test".to_owned(),
        ])
        .map_err(|e| format!("cannot describe the TLS certificate ({e})"))?;
        let certificate = params
            .self_signed(&key)
            .map_err(|e| format!("cannot self-sign the TLS certificate ({e})"))?
            .der()
            .clone();
        let pkcs8 = PrivatePkcs8KeyDer::from(key.serialize_der());
        let private = PrivateKeyDer::Pkcs8(pkcs8.clone_key());
        let mut server = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("rustls rejected its default protocol versions ({e})"))?
            .with_no_client_auth()
            .with_single_cert(vec![certificate.clone()], private)
            .map_err(|e| format!("rustls rejected the generated certificate ({e})"))?;
        server.alpn_protocols = ALPN_H2.iter().map(|p| p.to_vec()).collect();
        Ok(Self {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(server)),
            certificate,
            #[cfg(feature = "http3")]
            key: pkcs8,
        })
    }

    /// A QUIC server configuration presenting this certificate: TLS 1.3
    /// only (QUIC has no other), ALPN `h3` only, so a client offering
    /// anything else fails the handshake instead of being served.
    #[cfg(feature = "http3")]
    pub(crate) fn quic_server(&self) -> Result<quinn::crypto::rustls::QuicServerConfig, String> {
        let mut server = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| format!("rustls rejected TLS 1.3 ({e})"))?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.certificate.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .map_err(|e| format!("rustls rejected the generated certificate ({e})"))?;
        server.alpn_protocols = ALPN_H3.iter().map(|p| p.to_vec()).collect();
        quinn::crypto::rustls::QuicServerConfig::try_from(server)
            .map_err(|e| format!("quinn rejected the TLS configuration ({e})"))
    }

    /// A QUIC client configuration trusting this certificate and offering
    /// `alpn` (TLS 1.3 only).
    #[cfg(feature = "http3")]
    pub(crate) fn quic_client(
        &self,
        alpn: &[&[u8]],
    ) -> Result<quinn::crypto::rustls::QuicClientConfig, String> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.certificate.clone())
            .map_err(|e| format!("rustls rejected the generated certificate as a root ({e})"))?;
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| format!("rustls rejected TLS 1.3 ({e})"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        quinn::crypto::rustls::QuicClientConfig::try_from(config)
            .map_err(|e| format!("quinn rejected the TLS configuration ({e})"))
    }

    /// A client configuration trusting this certificate and offering `alpn`.
    pub(crate) fn client(&self, alpn: &[&[u8]]) -> Result<ClientConfig, String> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.certificate.clone())
            .map_err(|e| format!("rustls rejected the generated certificate as a root ({e})"))?;
        let mut config = client_builder()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }
}

/// A client configuration for plain-text clients. reqwest is built with
/// rustls but without a default provider (to keep aws-lc-rs out), so even
/// clients that never speak TLS are handed a ring configuration.
pub(crate) fn plain_client() -> Result<ClientConfig, String> {
    Ok(client_builder()?
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth())
}

fn client_builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, String> {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("rustls rejected its default protocol versions ({e})"))
}
