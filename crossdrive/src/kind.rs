//! [`Kind`]: the built-in drivers, generated from the driver table.
//!
//! [`driver_table!`](crate::driver_table) (in `macros.rs`, the one place
//! every built-in driver is listed) expands to one entry per built-in
//! driver compiled in and the identifiers of all of them; the [`Kind`] enum, its name lookup, the default specs of
//! [`Drivers::builtin`](crate::Drivers::builtin) and the built-in test names
//! [`suite!`](macro@crate::suite) writes for every body are generated from it. A
//! user's own drivers never come here: they are
//! [`DriverSpec::custom`](crate::DriverSpec::custom) entries of the user's
//! own [`Drivers`](crate::Drivers).

use std::sync::Arc;

use crate::{Driver, Error};
use axum::Router;

/// `carries: websocket` in a driver-table entry, as a bool.
macro_rules! carries_websocket_only {
    () => {
        false
    };
    (websocket) => {
        true
    };
}

macro_rules! define_kinds {
    ([] [$($every:ident)*] $({
        ident: $ident:ident,
        $(carries: $carries:ident,)?
        variant: $variant:ident,
        name: $name:literal,
        about: $about:literal,
        registration: $registration:path,
    })*) => {
        /// The identifier of every built-in driver, whichever cargo features
        /// this build has: a `#[differs(..)]` may name a driver its build
        /// left out.
        pub(crate) const EVERY_BUILTIN: &[&str] = &[$(stringify!($every)),*];

        /// Every driver crossdrive ships, generated from the driver table.
        ///
        /// ```
        /// use crossdrive::Kind;
        /// assert_eq!(Kind::from_name("direct"), Some(Kind::Direct));
        /// assert!(Kind::ALL.iter().any(|k| k.name() == "direct"));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Kind {
            $(#[doc = $about] $variant,)*
        }

        impl Kind {
            /// Every driver, in table order.
            ///
            /// ```
            /// use crossdrive::Kind;
            /// assert_eq!(Kind::ALL[0], Kind::Direct);
            /// assert_eq!(Kind::ALL.len(), Kind::names().len());
            /// ```
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The driver's name (`direct`, `lambda-v1`, ...).
            ///
            /// ```
            /// use crossdrive::Kind;
            /// assert_eq!(Kind::Direct.name(), "direct");
            /// assert_eq!(Kind::Direct.to_string(), Kind::Direct.name());
            /// # #[cfg(feature = "lambda")]
            /// assert_eq!(Kind::LambdaV1.name(), "lambda-v1");
            /// ```
            pub fn name(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }

            /// The identifier used in generated test names (`lambda_v1`).
            ///
            /// ```
            /// use crossdrive::Kind;
            /// assert_eq!(Kind::Direct.ident(), "direct");
            /// # #[cfg(feature = "sockets")]
            /// assert_eq!(Kind::Http1Fresh.ident(), "http1_fresh");
            /// ```
            pub fn ident(self) -> &'static str {
                match self { $(Kind::$variant => stringify!($ident),)* }
            }

            /// Whether the driver carries WebSockets only (`lambda-ws`):
            /// [`Drivers::builtin`](crate::Drivers::builtin) leaves it out,
            /// the conformance suite holds it to the WebSocket checks alone,
            /// `suite!` writes its tests only where a suite names it in
            /// `only = [..]`, and a bench that adds it leaves its HTTP rows
            /// unmeasured.
            ///
            /// ```
            /// assert!(!crossdrive::Kind::Direct.websocket_only());
            /// ```
            pub fn websocket_only(self) -> bool {
                match self { $(Kind::$variant => carries_websocket_only!($($carries)?),)* }
            }

            /// One sentence saying what the driver does.
            ///
            /// ```
            /// use crossdrive::Kind;
            /// assert!(Kind::Direct.about().contains("in-process"));
            /// ```
            pub fn about(self) -> &'static str {
                match self { $(Kind::$variant => $about,)* }
            }

            /// Builds this driver over a fresh app instance, with the
            /// default options (the timeout from `CROSSDRIVE_TIMEOUT_MS`
            /// when set; an invalid value is an invalid-request error saying so).
            ///
            /// ```
            /// use axum::{Router, routing::get};
            /// use crossdrive::Client;
            /// let app = Router::new().route("/", get(|| async { "hi" }));
            /// let client = Client::from_arc(crossdrive::Kind::Direct.connect(app).unwrap());
            /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            /// # rt.block_on(async {
            /// client.get("/").await.assert_status(200).assert_text("hi");
            /// # });
            /// ```
            pub fn connect(self, app: Router) -> Result<Arc<dyn Driver>, Error> {
                let options = crate::ConnectOptions::from_env().map_err(|message| {
                    Error::without_request(
                        crate::ErrorKind::InvalidRequest,
                        self.name(),
                        message,
                    )
                })?;
                self.connect_with(app, &options)
            }

            /// Builds this driver over a fresh app instance with `options`
            /// (a per-request timeout for fault tests).
            ///
            /// ```
            /// use std::time::Duration;
            /// use axum::{Router, routing::get};
            /// use crossdrive::Client;
            /// use crossdrive::{ConnectOptions, Kind};
            /// let app = Router::new().route("/never", get(|| std::future::pending::<&'static str>()));
            /// let options = ConnectOptions::new().timeout(Duration::from_millis(20));
            /// let client = Client::from_arc(Kind::Direct.connect_with(app, &options).unwrap());
            /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            /// # rt.block_on(async {
            /// assert!(client.get("/never").try_send().await.unwrap_err().is_timeout());
            /// # });
            /// ```
            pub fn connect_with(self, app: Router, options: &crate::ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
                crate::DriverSpec::builtin(self).connect(app, options)
            }

            /// What the driver's module registers: its deployment and its
            /// declared differences.
            pub(crate) fn registration(self) -> &'static crate::registry::Registration {
                match self { $(Kind::$variant => &$registration,)* }
            }

            /// The conformance checks this driver cannot meet because of its
            /// adapter, each with the reason: the `differences` of its
            /// module's registration, a `&[(check, reason)]` kept in the
            /// driver's own module.
            ///
            /// ```
            /// let declared = crossdrive::Kind::Direct.known_differences();
            /// assert!(declared.validate().is_ok());
            /// ```
            pub fn known_differences(self) -> crate::conformance::Expectations {
                crate::conformance::Expectations::from_table(self.registration().differences)
            }
        }
    };
}

crate::driver_table! { define_kinds [] }

impl Kind {
    /// The kind named `name` (`direct`) or identified by `ident` (`lambda_v1`).
    ///
    /// ```
    /// use crossdrive::Kind;
    /// assert_eq!(Kind::from_name("direct"), Some(Kind::Direct));
    /// assert_eq!(Kind::from_name("no-such-driver"), None);
    /// # #[cfg(feature = "lambda")]
    /// assert_eq!(Kind::from_name("lambda_v1"), Kind::from_name("lambda-v1"));
    /// ```
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name || k.ident() == name)
    }

    /// Every driver name, for messages and selections.
    ///
    /// ```
    /// use crossdrive::Kind;
    /// let names = crossdrive::Kind::names();
    /// assert_eq!(names[0], "direct");
    /// assert!(names.iter().all(|name| Kind::from_name(name).is_some()));
    /// ```
    pub fn names() -> Vec<&'static str> {
        Kind::ALL.iter().map(|k| k.name()).collect()
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_compiled_driver_is_in_the_list_of_every_builtin() {
        for kind in Kind::ALL {
            assert!(
                EVERY_BUILTIN.contains(&kind.ident()),
                "{kind} is missing from EVERY_BUILTIN"
            );
        }
        #[cfg(all(feature = "lambda-ws", feature = "http3"))]
        assert_eq!(Kind::ALL.len(), EVERY_BUILTIN.len());
    }
}
