//! A driver of the user's own ([`DriverSpec::custom`](crate::DriverSpec::custom)):
//! its connect function and, for the bench, its own floor and the sentence
//! describing it.

use std::sync::Arc;

use axum::Router;

use super::{ConnectFn, FloorFn};
use crate::registry::Deployment;
use crate::{ConnectOptions, Driver, Error};

/// A custom driver's deployment: the user's `connect`, and the floor the
/// user gave (`raw-oneshot` over the app without one) with what the user
/// said it is.
#[derive(Clone)]
pub(crate) struct Custom {
    connect: Arc<ConnectFn>,
    floor: Option<(String, Arc<FloorFn>)>,
    /// Kept apart from `floor` so either builder call may come first.
    floor_about: Option<String>,
}

impl Custom {
    pub(crate) fn new(connect: Arc<ConnectFn>) -> Self {
        Self {
            connect,
            floor: None,
            floor_about: None,
        }
    }

    /// The same driver with its floor described, for the bench report.
    pub(crate) fn floor_about(self, about: String) -> Self {
        Self {
            floor_about: Some(about),
            ..self
        }
    }

    /// What the user said its own floor is, once it has one.
    pub(crate) fn describe_floor(&self) -> Option<&str> {
        self.floor.as_ref().and(self.floor_about.as_deref())
    }

    /// The same driver with its own bench floor.
    pub(crate) fn floor(self, name: String, make: Arc<FloorFn>) -> Self {
        Self {
            floor: Some((name, make)),
            ..self
        }
    }

    pub(crate) fn floor_name(&self) -> Option<&str> {
        self.floor.as_ref().map(|(name, _)| name.as_str())
    }
}

impl Deployment for Custom {
    fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
        (self.connect)(app, options)
    }

    #[cfg(feature = "bench")]
    fn bench_pair(
        &self,
        app: &dyn Fn() -> Router,
        _server: crate::registry::Server,
    ) -> Result<crate::registry::FloorPair, Error> {
        use crate::registry::{Floor, FloorPair};
        Ok(FloorPair {
            // Measured as a test reaches it: through the spec's connect.
            driver: None,
            floor: match &self.floor {
                Some((name, make)) => Floor::Custom(name.clone(), make(app())?),
                None => Floor::RawOneshot(app()),
            },
        })
    }
}
