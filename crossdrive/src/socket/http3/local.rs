//! A test's own QUIC endpoint: the shared HTTP/3 server's side of a test's
//! connection, bound and driven on the test's runtime.
//!
//! # Why not hand the connection over, as the TCP servers do
//!
//! A TCP connection accepted on the server's thread can be handed to the
//! test's runtime whole (the `handoff` module): from then on its socket is
//! the test's. A QUIC connection cannot: every connection of a quinn
//! endpoint shares the endpoint's one UDP socket, whose datagrams the
//! endpoint's driver reads on the runtime the endpoint was made on. Handed
//! over, the connection's state machine ran on the test's runtime but every
//! datagram the client sent still woke the server's thread first, which
//! then woke the test's: two cross-thread wake-ups per request (and per
//! acknowledgement), which on a small idle VM cost more than the whole
//! HTTP/3 exchange (a test's request measured 2.8× the same-thread raw h3
//! floor).
//!
//! So a test's connection gets an endpoint of its own, made on the test's
//! runtime when the connection is opened: a fresh UDP socket on loopback,
//! the shared server's TLS configuration (its certificate, ALPN `h3`, its
//! stream limits) and its routes (the test's app, mounted under its id).
//! To the user it is still one shared server per binary: the same
//! certificate, the same mounted apps, the same counters, stopped by the
//! same `stop`. Client, endpoint, connection, h3 and the app all run on the
//! test's thread; nothing crosses to the server's.
//!
//! The endpoint serves one connection, from the one client address that
//! opened it (any other peer is refused), and closes when that connection
//! ends, when the server stops, when the client gave up before connecting,
//! or when the test's runtime goes (its tasks and sockets with it).

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;

use futures_util::future::{Either, select};
use tokio::sync::oneshot;

use super::super::handoff::Handoffs;
use super::super::routes::Routes;
use super::serve::Connection;

/// What a test's own endpoint serves with: the shared server's QUIC
/// configuration, its routes, and its closing signal.
pub(crate) struct Local {
    config: quinn::ServerConfig,
    routes: Arc<Routes>,
    handoffs: Arc<Handoffs>,
}

/// Held by the client until its handshake is done: dropped before the
/// endpoint accepted anything (the connect failed), it closes the endpoint.
pub(crate) struct Waiting(#[allow(dead_code)] oneshot::Sender<()>);

impl Local {
    /// Endpoints serving with `config` (the server's TLS and transport
    /// settings) and `routes`, closed when `handoffs` says the server stops.
    pub(crate) fn new(
        config: quinn::ServerConfig,
        routes: Arc<Routes>,
        handoffs: Arc<Handoffs>,
    ) -> Self {
        Self {
            config,
            routes,
            handoffs,
        }
    }

    /// Binds an endpoint on the current tokio runtime that serves the
    /// connection coming from `peer`, and returns its address; the endpoint
    /// lives until that connection ends or the returned [`Waiting`] is
    /// dropped before it arrived.
    pub(crate) fn open(&self, peer: SocketAddr) -> Result<(SocketAddr, Waiting), String> {
        if self.handoffs.is_closing() {
            return Err("the server was stopped".to_owned());
        }
        let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| format!("cannot bind a UDP socket on 127.0.0.1 ({e})"))?;
        let addr = socket
            .local_addr()
            .map_err(|e| format!("cannot read the UDP socket's address ({e})"))?;
        let endpoint = quinn::Endpoint::new(
            quinn::EndpointConfig::default(),
            Some(self.config.clone()),
            socket,
            Arc::new(quinn::TokioRuntime),
        )
        .map_err(|e| format!("quinn cannot serve on the UDP socket ({e})"))?;
        let (waiting, abandoned) = oneshot::channel();
        let routes = Arc::clone(&self.routes);
        let closed = self.handoffs.closed();
        tokio::spawn(async move {
            let serving = serve_one(&endpoint, routes, peer, abandoned);
            let _ = select(pin!(serving), pin!(closed)).await;
            // 0x100 is H3_NO_ERROR: a clean close, not a failure.
            endpoint.close(quinn::VarInt::from_u32(0x100), b"connection done");
        });
        Ok((addr, Waiting(waiting)))
    }
}

/// Accepts the connection from `peer` (refusing any other) and serves it to
/// its end; gives up if `abandoned` fires first (the client's connect
/// failed, so nothing will come).
async fn serve_one(
    endpoint: &quinn::Endpoint,
    routes: Arc<Routes>,
    peer: SocketAddr,
    abandoned: oneshot::Receiver<()>,
) {
    let mut abandoned = pin!(abandoned);
    let incoming = loop {
        let incoming = match select(pin!(endpoint.accept()), abandoned.as_mut()).await {
            Either::Left((Some(incoming), _)) => incoming,
            Either::Left((None, _)) | Either::Right(_) => return,
        };
        if incoming.remote_address() == peer {
            break incoming;
        }
        // Another local process found the port: this endpoint is one
        // test's, and serves nobody else.
        incoming.refuse();
    };
    routes.accept();
    routes.handed_over();
    Connection::new(routes, peer).serve(incoming).await;
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::Arc;
    use std::time::Duration;

    use super::Local;
    use crate::socket::Http3Server;

    const SECOND: Duration = Duration::from_secs(1);

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn local(server: &Http3Server) -> Local {
        let hosting = server.hosting();
        let config = super::super::server::server_config(server.tls()).unwrap();
        Local::new(
            config,
            Arc::clone(&hosting.routes),
            Arc::clone(&hosting.handoffs),
        )
    }

    /// A client endpoint on a fresh UDP socket, and its address.
    fn client(server: &Http3Server) -> (quinn::Endpoint, SocketAddr) {
        let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = socket.local_addr().unwrap();
        let mut endpoint = quinn::Endpoint::new(
            quinn::EndpointConfig::default(),
            None,
            socket,
            Arc::new(quinn::TokioRuntime),
        )
        .unwrap();
        let config = super::super::driver::quic_client(server).unwrap();
        endpoint.set_default_client_config(config);
        (endpoint, addr)
    }

    async fn handshake(
        endpoint: &quinn::Endpoint,
        to: SocketAddr,
        wait: Duration,
    ) -> Result<(), String> {
        let connecting = endpoint.connect(to, "localhost").unwrap();
        match tokio::time::timeout(wait, connecting).await {
            Ok(Ok(connection)) => {
                connection.close(0u32.into(), b"done");
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer in {wait:?}")),
        }
    }

    #[test]
    fn a_tests_endpoint_serves_the_client_that_opened_it_and_refuses_any_other() {
        let server = Http3Server::start("h3-local-peer").unwrap();
        rt().block_on(async {
            let (stranger, _) = client(&server);
            let (owner, owner_addr) = client(&server);
            let (to, _waiting) = local(&server).open(owner_addr).unwrap();
            assert_ne!(to, server.addr());
            let refused = handshake(&stranger, to, SECOND).await.unwrap_err();
            assert!(refused.to_lowercase().contains("refused"), "{refused}");
            handshake(&owner, to, SECOND).await.unwrap();
        });
        assert_eq!(server.connections_accepted(), 1);
        assert_eq!(server.connections_served_inline(), 1);
    }

    #[test]
    fn a_tests_endpoint_closes_when_its_client_gives_up_before_connecting() {
        let server = Http3Server::start("h3-local-abandoned").unwrap();
        rt().block_on(async {
            let (owner, owner_addr) = client(&server);
            let (to, waiting) = local(&server).open(owner_addr).unwrap();
            drop(waiting);
            // Let the endpoint's task see it was abandoned and close.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let quiet = Duration::from_millis(300);
            assert!(handshake(&owner, to, quiet).await.is_err());
        });
        assert_eq!(server.connections_accepted(), 0);
    }

    #[test]
    fn a_stopped_server_opens_no_endpoint_for_a_test() {
        let server = Http3Server::start("h3-local-stopped").unwrap();
        let local = local(&server);
        server.stop();
        let peer = SocketAddr::from((Ipv4Addr::LOCALHOST, 9));
        let refused = rt().block_on(async { local.open(peer).map(|_| ()) });
        assert!(refused.unwrap_err().contains("stopped"));
    }
}
