//! Drivers as data: [`DriverSpec`] says how to put an app behind one
//! adapter, [`Drivers`] is the list a suite, a conformance run, a parity
//! check or a bench runs over.
//!
//! [`Drivers::builtin()`] is the default list, every driver crossdrive
//! ships with its default deployment. A suite configures it the way its
//! app is deployed and adds drivers of its own, all from its own crate:
//!
//! ```
//! # #[cfg(feature = "lambda")] {
//! use std::time::Duration;
//! use crossdrive::lambda::{LambdaOptions, Source};
//! use crossdrive::{Direct, DriverSpec, Drivers};
//!
//! fn drivers() -> Drivers {
//!     Drivers::builtin()
//!         // the REST API as deployed: a named stage, PNGs as binary
//!         .with(DriverSpec::lambda(
//!             LambdaOptions::new(Source::Rest).stage("v1").binary_media_types(["image/png"]),
//!         ))
//!         // the ALB target group in multi-value header mode
//!         .with(DriverSpec::lambda(LambdaOptions::new(Source::Alb { multi_value_headers: true })))
//!         // a longer timeout on one socket driver
//!         .with(DriverSpec::http1().timeout(Duration::from_secs(10)))
//!         // a driver of our own (here simply `Direct` under another name)
//!         .with(DriverSpec::custom("in_house", |app, options| {
//!             Ok(std::sync::Arc::new(Direct::new(app).timeout(options.get_timeout())))
//!         }))
//! }
//! assert!(drivers().get("in_house").is_some());
//! assert_eq!(drivers().get("lambda-v1").unwrap().name(), "lambda-v1");
//! # }
//! ```
//!
//! `with` replaces the entry of the same name, so configuring a built-in
//! keeps its place, its test names (`my_test::lambda_v1`) and its declared
//! conformance differences; a new name is appended. In `suite!` the
//! drivers are named with `drivers = drivers;` and the identifiers of your
//! own with `custom = [in_house];` (test names are identifiers, so the
//! macro needs them spelled out).

mod custom;
mod spec;

pub(crate) use custom::Custom;
pub use spec::{ConnectFn, DriverSpec, FloorFn};

use crate::Kind;

/// The drivers a suite, conformance run, parity check or bench runs over.
///
/// ```
/// use crossdrive::Drivers;
/// let drivers = Drivers::builtin().without("lambda-runtime");
/// assert!(drivers.get("lambda-runtime").is_none());
/// assert_eq!(drivers.names()[0], "direct");
/// ```
#[derive(Clone, Debug)]
pub struct Drivers {
    specs: Vec<DriverSpec>,
}

impl Default for Drivers {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Drivers {
    /// Every HTTP driver crossdrive ships, in table order, each with its
    /// default deployment (a driver that carries WebSockets only,
    /// `lambda-ws`, is added with [`Drivers::with`] where a suite names it).
    ///
    /// ```
    /// use crossdrive::{Drivers, Kind};
    /// let drivers = Drivers::builtin();
    /// let http: Vec<&str> = Kind::ALL.iter().filter(|k| !k.websocket_only()).map(|k| k.name()).collect();
    /// assert_eq!(drivers.names(), http);
    /// ```
    pub fn builtin() -> Self {
        Self {
            specs: Kind::ALL
                .iter()
                .filter(|k| !k.websocket_only())
                .map(|k| DriverSpec::builtin(*k))
                .collect(),
        }
    }

    /// No drivers: build a list from nothing with [`Drivers::with`].
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Drivers};
    /// let only = Drivers::empty().with(DriverSpec::direct()).with(DriverSpec::http1());
    /// assert_eq!(only.names(), ["direct", "http1"]);
    /// ```
    pub fn empty() -> Self {
        Self { specs: Vec::new() }
    }

    /// Adds `spec`, replacing the entry of the same name in its place.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let drivers = Drivers::builtin().with(DriverSpec::direct().about("configured"));
    /// assert_eq!(drivers.len(), Drivers::builtin().len()); // replaced in its place
    /// assert_eq!(drivers.iter().next().unwrap().describe(), "configured");
    /// let more = drivers.with(DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert_eq!(more.names().last(), Some(&"mine")); // appended
    /// ```
    #[must_use]
    pub fn with(mut self, spec: DriverSpec) -> Self {
        match self.specs.iter_mut().find(|s| s.name() == spec.name()) {
            Some(slot) => *slot = spec,
            None => self.specs.push(spec),
        }
        self
    }

    /// Removes the driver named `name` (or identified by it), if present.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let drivers = Drivers::empty()
    ///     .with(DriverSpec::direct())
    ///     .with(DriverSpec::custom("my-gateway", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert_eq!(drivers.clone().without("my_gateway").names(), ["direct"]);
    /// assert_eq!(drivers.without("direct").names(), ["my-gateway"]);
    /// ```
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.specs.retain(|s| s.name() != name && s.ident() != name);
        self
    }

    /// The driver named `name` (`lambda-v1`) or identified by it (`lambda_v1`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let drivers = Drivers::empty()
    ///     .with(DriverSpec::custom("my-gateway", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert_eq!(drivers.get("my-gateway").unwrap().name(), "my-gateway");
    /// assert_eq!(drivers.get("my_gateway").unwrap().name(), "my-gateway");
    /// assert!(drivers.get("direct").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&DriverSpec> {
        self.specs
            .iter()
            .find(|s| s.name() == name || s.ident() == name)
    }

    /// The drivers, in order.
    ///
    /// ```
    /// use crossdrive::{Drivers, Kind};
    /// let kinds: Vec<Kind> = Drivers::builtin().iter().filter_map(|spec| spec.kind()).collect();
    /// assert_eq!(kinds.len(), Kind::ALL.iter().filter(|k| !k.websocket_only()).count());
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &DriverSpec> {
        self.specs.iter()
    }

    /// Every driver's name, in order.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Drivers};
    /// assert_eq!(Drivers::empty().with(DriverSpec::direct()).names(), ["direct"]);
    /// assert_eq!(Drivers::builtin().names()[0], "direct");
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.specs.iter().map(|s| s.name()).collect()
    }

    /// How many drivers the list holds.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Drivers};
    /// assert_eq!(Drivers::empty().len(), 0);
    /// assert_eq!(Drivers::empty().with(DriverSpec::direct()).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether the list is empty.
    ///
    /// ```
    /// use crossdrive::Drivers;
    /// assert!(Drivers::empty().is_empty());
    /// assert!(!Drivers::builtin().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Checks what a suite or bench relies on: names that are usable in
    /// test names and tables, none twice (by identifier), and valid
    /// declared differences.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let bad = Drivers::builtin().with(DriverSpec::custom("My Driver", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert!(bad.validate().unwrap_err().contains("`My Driver`"));
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        for (i, spec) in self.specs.iter().enumerate() {
            let name = spec.name();
            let usable = !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !usable {
                return Err(format!(
                    "the driver name `{name}` cannot name a test; use lowercase letters, digits, \
                     `-` and `_`, starting with a letter, such as `my-gateway`"
                ));
            }
            if name == crate::remote::NAME {
                return Err(format!(
                    "the driver name `{name}` is taken by the remote driver every suite has; \
                     choose another name"
                ));
            }
            if let Some(twin) = self.specs[..i].iter().find(|s| s.ident() == spec.ident()) {
                return Err(format!(
                    "the drivers `{}` and `{name}` have the same test identifier `{}`; rename one",
                    twin.name(),
                    spec.ident()
                ));
            }
            spec.known_differences()
                .validate()
                .map_err(|e| format!("driver `{name}`: {e}"))?;
        }
        Ok(())
    }
}
