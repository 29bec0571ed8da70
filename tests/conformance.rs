//! The adapter conformance suite on every crossdrive driver: one test per
//! check per driver, named `<driver>::<check>`
//! (`direct::three_set_cookie_headers_stay_three`). Declared differences
//! come from each driver's entry in the driver table; a known difference
//! passes and prints its reason (`cargo test -- --nocapture`), and the
//! full matrix is `cargo xtask conformance`.

mod support;

crossdrive::conformance! { app = crossdrive::conformance::echo::app; }

/// The matrix published in docs/conformance-matrix.md (after its one-line
/// header) must be what a fresh run reports; `cargo xtask conformance`
/// regenerates it.
#[test]
fn the_published_matrix_matches_a_fresh_run() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reports = rt.block_on(crossdrive::conformance::run_all(
        crossdrive::conformance::echo::app,
    ));
    let fresh = crossdrive::conformance::matrix(&reports);
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/conformance-matrix.md"
    ))
    .unwrap();
    let (_header, published) = page.split_once('\n').unwrap();
    assert_eq!(
        published.trim(),
        fresh.trim(),
        "docs/conformance-matrix.md is stale; run `cargo xtask conformance` and commit it"
    );
    for report in &reports {
        assert!(report.is_success(), "{report}");
    }
}

/// A conformance run over a list holding only a driver of the user's own:
/// `only = [mine]` writes exactly its tests, so the count is what ran.
mod only_mine {
    use std::sync::Arc;

    use crossdrive::{Direct, DriverSpec, Drivers, direct};

    fn mine() -> Drivers {
        Drivers::empty().with(
            DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
                .differences(direct::KNOWN_DIFFERENCES),
        )
    }

    crossdrive::conformance! { drivers = mine; only = [mine]; }
}

#[test]
fn a_conformance_run_over_one_driver_lists_one_test_per_check_and_no_other() {
    let listed = support::listed_tests();
    let ours: Vec<&str> = listed
        .lines()
        .filter(|line| line.starts_with("only_mine::"))
        .collect();
    assert_eq!(
        ours.len(),
        crossdrive::conformance::CHECKS.len(),
        "{ours:#?}"
    );
    assert!(
        ours.iter()
            .all(|line| line.starts_with("only_mine::mine::")),
        "{ours:#?}"
    );
}

/// Deliberately broken WebSocket drivers: the WebSocket checks must catch
/// each bug in exactly the check it breaks, saying what arrived. Each
/// wraps the real `direct` driver and damages the socket the way real
/// adapters have: turning the app's binary frames into text frames (a
/// gateway that only knows text), and dropping the handshake's
/// `Sec-WebSocket-Protocol` (a proxy that forwards a fixed header list).
mod broken_websocket {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use crossdrive::conformance::{self, Expectations, Outcome};
    use crossdrive::websocket::{Handshake, UpgradedIo};
    use crossdrive::{BoxFuture, Client, Direct, Driver, DriverResponse, DriverStream, Error};
    use crossdrive::{RequestBody, conformance::echo};
    use http::Request;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    #[derive(Clone, Copy)]
    enum Bug {
        BinaryFramesBecomeText,
        DropsSubprotocolHeader,
    }

    struct Broken {
        inner: Direct,
        bug: Bug,
    }

    impl Driver for Broken {
        fn name(&self) -> &str {
            match self.bug {
                Bug::BinaryFramesBecomeText => "binary-as-text",
                Bug::DropsSubprotocolHeader => "drops-subprotocol",
            }
        }

        fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
            self.inner.send(request)
        }

        fn stream(
            &self,
            request: Request<RequestBody>,
        ) -> BoxFuture<'_, Result<DriverStream, Error>> {
            self.inner.stream(request)
        }

        fn websocket(
            &self,
            mut request: Request<Bytes>,
        ) -> BoxFuture<'_, Result<Handshake, Error>> {
            Box::pin(async move {
                if let Bug::DropsSubprotocolHeader = self.bug {
                    request
                        .headers_mut()
                        .remove(http::header::SEC_WEBSOCKET_PROTOCOL);
                }
                let handshake = self.inner.websocket(request).await?;
                Ok(match (handshake, self.bug) {
                    (Handshake::Accepted(mut upgraded), Bug::BinaryFramesBecomeText) => {
                        upgraded.io = Box::new(Retyped::new(upgraded.io));
                        Handshake::Accepted(upgraded)
                    }
                    (handshake, _) => handshake,
                })
            })
        }
    }

    /// The app's side of the socket, read by the client with every binary
    /// frame's opcode turned into text's. The app's frames are unmasked
    /// (RFC 6455 §5.1), so a frame is its header (2 bytes, then 2 or 8 of
    /// length) and its payload; the rewrite follows the boundaries.
    struct Retyped {
        inner: Box<dyn UpgradedIo>,
        header: Vec<u8>,
        payload_left: u64,
    }

    impl Retyped {
        fn new(inner: Box<dyn UpgradedIo>) -> Self {
            Self {
                inner,
                header: Vec::new(),
                payload_left: 0,
            }
        }

        /// Rewrites `bytes`, the next bytes the app sent, in place.
        fn retype(&mut self, bytes: &mut [u8]) {
            let mut i = 0;
            while i < bytes.len() {
                if self.payload_left > 0 {
                    let skip = self.payload_left.min((bytes.len() - i) as u64);
                    self.payload_left -= skip;
                    i += skip as usize;
                    continue;
                }
                if self.header.is_empty() && bytes[i] & 0x0f == 0x2 {
                    bytes[i] = (bytes[i] & 0xf0) | 0x1;
                }
                self.header.push(bytes[i]);
                i += 1;
                let needed = match self.header.get(1).map(|b| b & 0x7f) {
                    None => continue,
                    Some(126) => 4,
                    Some(127) => 10,
                    Some(_) => 2,
                };
                if self.header.len() == needed {
                    self.payload_left = match needed {
                        2 => u64::from(self.header[1] & 0x7f),
                        4 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
                        _ => u64::from_be_bytes(self.header[2..10].try_into().unwrap()),
                    };
                    self.header.clear();
                }
            }
        }
    }

    impl AsyncRead for Retyped {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let this = self.get_mut();
            let before = buf.filled().len();
            let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
            if let Poll::Ready(Ok(())) = polled {
                let mut fresh = buf.filled()[before..].to_vec();
                this.retype(&mut fresh);
                buf.filled_mut()[before..].copy_from_slice(&fresh);
            }
            polled
        }
    }

    impl AsyncWrite for Retyped {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_flush(cx)
        }
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
        }
    }

    /// The WebSocket checks that fail on a driver with `bug`, each with
    /// its failure.
    fn failing(bug: Bug) -> Vec<(&'static str, conformance::Failure)> {
        let client = Client::new(Broken {
            inner: Direct::new(echo::app()),
            bug,
        });
        let report =
            crate::support::block_on(conformance::run_websocket(&client, &Expectations::new()));
        report
            .results()
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Fail(failure) => Some((r.check.name, failure.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_driver_that_turns_binary_frames_into_text_fails_the_binary_check_and_no_other() {
        let failed = failing(Bug::BinaryFramesBecomeText);
        let names: Vec<&str> = failed.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            ["websocket_binary_message_comes_back_as_sent"],
            "{failed:#?}"
        );
        let failure = &failed[0].1;
        assert!(
            failure.received.contains("UTF-8") || failure.received.contains("utf-8"),
            "{failure}"
        );
    }

    #[test]
    fn a_driver_that_drops_the_subprotocol_header_fails_the_subprotocol_check_and_no_other() {
        let failed = failing(Bug::DropsSubprotocolHeader);
        let names: Vec<&str> = failed.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            ["websocket_subprotocol_is_negotiated"],
            "{failed:#?}"
        );
        assert_eq!(failed[0].1.received, "None", "{}", failed[0].1);
    }
}
