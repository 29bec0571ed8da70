//! Running a scenario: [`Scenario::prepare`] runs the setup once per app
//! instance, [`Prepared::run`] times one iteration, and every response,
//! timed or not, is checked against its step.

use bytes::Bytes;
use http::{HeaderValue, Request, Response};

use super::compile::{Compiled, CompiledStep, parse_target};
use super::error::{Failure, Mismatch, mismatch};
use super::template::Vars;
use super::{Scenario, ScenarioError};
use crate::Client;
use crate::bench::{Exchange, Sample, Stopwatch};

/// Where a step's kept-open WebSocket lives between iterations.
#[cfg(feature = "websocket")]
pub(super) type KeptSockets = super::websocket::Kept;
/// Nothing is kept open without WebSockets.
#[cfg(not(feature = "websocket"))]
pub(super) type KeptSockets = ();

impl Scenario {
    /// Prepares one app instance for measuring: checks the scenario and
    /// runs its setup steps through `exchange` (untimed, every answer
    /// checked). Then [`Prepared::run`] runs iterations.
    ///
    /// ```
    /// # use crossdrive::__private::doc::Mirror;
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::get("/").expect(200));
    /// let prepared = s.prepare(&Mirror).await.unwrap();
    /// assert_eq!(prepared.name(), "s");
    /// assert!(prepared.run(&Mirror, 1).await.is_ok());
    /// # });
    /// ```
    pub async fn prepare<E: Exchange + ?Sized>(
        &self,
        exchange: &E,
    ) -> Result<Prepared, ScenarioError> {
        let compiled = self.compile()?;
        let mut vars = Vars::default();
        for step in &compiled.setup {
            step.run(&compiled.name, exchange, &mut vars, 0, None)
                .await?;
        }
        Ok(Prepared {
            compiled,
            vars,
            #[cfg(feature = "websocket")]
            kept: super::websocket::Kept::default(),
        })
    }

    /// Runs setup and one iteration through `client`'s driver and panics,
    /// with the message a bench would print, if any answer is not the one
    /// declared. The same scenarios then run as `suite!` tests:
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// fn scenarios() -> Vec<Scenario> {
    ///     vec![Scenario::new("ok").step(Step::get("/").expect(200))]
    /// }
    /// # let client = crossdrive::__private::doc::mirror_client(); // answers 200
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// // inside `async fn bench_scenarios_answer_as_declared(client: Client)`:
    /// for s in scenarios() {
    ///     s.check(&client).await;
    /// }
    /// # });
    /// ```
    ///
    /// ```should_panic
    /// # let client = crossdrive::__private::doc::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// // The mirror answers 200, not 404: check panics with the scenario's message.
    /// Scenario::new("s").step(Step::get("/").expect(404)).check(&client).await;
    /// # });
    /// ```
    // No #[track_caller]: on an `async fn` it is a no-op (rustc warns,
    // issue 110011), so this panic points here; the message names the
    // scenario and step instead.
    pub async fn check(&self, client: &Client) {
        if let Err(e) = self.try_check(client).await {
            panic!("{e} (driver {})", client.name());
        }
    }

    /// [`check`](Self::check), returning the error instead of panicking.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let ok = Scenario::new("s").step(Step::get("/").expect(200));
    /// assert!(ok.try_check(&client).await.is_ok());
    /// let wrong = Scenario::new("s").step(Step::get("/").expect(201));
    /// assert_eq!(wrong.try_check(&client).await.unwrap_err().response().unwrap().status(), 200);
    /// # });
    /// ```
    pub async fn try_check(&self, client: &Client) -> Result<(), ScenarioError> {
        let driver = &**client.driver();
        let prepared = self.prepare(driver).await?;
        prepared.run(driver, 1).await.map(|_| ())
    }
}

/// A scenario ready to run on one app instance: checked, its setup done
/// and its captures kept.
///
/// ```
/// # use crossdrive::__private::doc::Mirror;
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// # use crossdrive::scenario::{Scenario, Step};
/// let step = Step::get("/items/{n}").expect(200).expect_header("x-uri", "/items/7");
/// let s = Scenario::new("s").step(step);
/// let prepared = s.prepare(&Mirror).await.unwrap();
/// assert!(prepared.run(&Mirror, 7).await.is_ok());
/// assert!(prepared.run(&Mirror, 8).await.is_err());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Prepared {
    compiled: Compiled,
    vars: Vars,
    /// The WebSockets `keep_open` steps left open, by step (a clone
    /// starts with none).
    #[cfg(feature = "websocket")]
    kept: super::websocket::Kept,
}

impl Prepared {
    /// The scenario's name.
    ///
    /// ```
    /// # use crossdrive::__private::doc::Mirror;
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("simple_get").step(Step::get("/").expect(200));
    /// assert_eq!(s.prepare(&Mirror).await.unwrap().name(), "simple_get");
    /// # });
    /// ```
    pub fn name(&self) -> &str {
        &self.compiled.name
    }

    /// Runs iteration `n` (unique within the app instance) through
    /// `exchange`: the timed steps' exchanges are timed and summed into
    /// one [`Sample`], every response is checked.
    ///
    /// ```
    /// # use crossdrive::__private::doc::Mirror;
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::get("/").expect(200));
    /// let prepared = s.prepare(&Mirror).await.unwrap();
    /// let sample = prepared.run(&Mirror, 1).await.unwrap();
    /// assert!(sample.elapsed < std::time::Duration::from_secs(1));
    /// # });
    /// ```
    pub async fn run<E: Exchange + ?Sized>(
        &self,
        exchange: &E,
        n: u64,
    ) -> Result<Sample, ScenarioError> {
        let mut vars = self.vars.clone();
        let mut total = Sample::default();
        for (index, step) in self.compiled.steps.iter().enumerate() {
            #[cfg(feature = "websocket")]
            let kept = Some((&self.kept, index));
            #[cfg(not(feature = "websocket"))]
            let kept = {
                let _ = index;
                None
            };
            if let Some(sample) = step
                .run(&self.compiled.name, exchange, &mut vars, n, kept)
                .await?
            {
                // The scenario's first byte: the first streamed step's,
                // after every timed step before it.
                if total.first_byte.is_none()
                    && let Some(first) = sample.first_byte
                {
                    total.first_byte = Some(total.elapsed + first);
                }
                total.elapsed += sample.elapsed;
                total.allocs += sample.allocs;
                total.bytes += sample.bytes;
            }
        }
        Ok(total)
    }
}

impl CompiledStep {
    fn request(
        &self,
        scenario: &str,
        vars: &Vars,
        n: u64,
    ) -> Result<Request<Bytes>, ScenarioError> {
        let invalid = |m: String| {
            ScenarioError::invalid(
                scenario,
                format!("scenario `{scenario}`, {}: {m}", self.label),
            )
        };
        let uri = match &self.fixed_uri {
            Some(uri) => uri.clone(),
            None => parse_target(&self.target.render(vars, n)).map_err(invalid)?,
        };
        let mut request = Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        for (name, template, fixed) in &self.headers {
            let value = match fixed {
                Some(v) => v.clone(),
                None => {
                    let text = template.render(vars, n);
                    HeaderValue::from_str(&text).map_err(|_| {
                        invalid(format!(
                            "`{name}: {text}` is not a valid header value once substituted"
                        ))
                    })?
                }
            };
            request.headers_mut().append(name.clone(), value);
        }
        Ok(request)
    }

    /// Sends the step, checks the answer and captures its variables;
    /// returns the timed cost when the step is timed.
    async fn run<E: Exchange + ?Sized>(
        &self,
        scenario: &str,
        exchange: &E,
        vars: &mut Vars,
        n: u64,
        kept: Option<(&KeptSockets, usize)>,
    ) -> Result<Option<Sample>, ScenarioError> {
        let request = self.request(scenario, vars, n)?;
        #[cfg(feature = "websocket")]
        if let Some(plan) = &self.websocket {
            return self
                .run_websocket(plan, scenario, exchange, request, kept)
                .await;
        }
        let _ = kept;
        let (response, sample) = if self.timed && self.streamed {
            let watch = Stopwatch::start();
            let started = std::time::Instant::now();
            let exchanged = exchange.exchange_streaming(request).await;
            let mut sample = watch.stop();
            let response = exchanged.map(|(response, first)| {
                sample.first_byte = Some(first.saturating_duration_since(started));
                response
            });
            (response, Some(sample))
        } else if self.timed {
            let watch = Stopwatch::start();
            let response = exchange.exchange(request).await;
            let sample = watch.stop();
            (response, Some(sample))
        } else {
            (exchange.exchange(request).await, None)
        };
        let response = response.map_err(|e| ScenarioError {
            scenario: scenario.to_owned(),
            message: format!("scenario `{scenario}`, {}: {e}", self.label),
            failure: Failure::Transport(e),
        })?;
        let captured = self.verify(&response).map_err(|wanted| ScenarioError {
            scenario: scenario.to_owned(),
            message: mismatch(scenario, &self.label, &wanted, &response),
            failure: Failure::Mismatch(Box::new(Mismatch {
                response,
                step: self.label.clone(),
                expected: wanted,
            })),
        })?;
        for (var, value) in captured {
            vars.set(var, value);
        }
        Ok(sample)
    }

    /// The captured values, or what was expected and not found.
    pub(super) fn verify<'a>(
        &'a self,
        response: &Response<Bytes>,
    ) -> Result<Vec<(&'a str, String)>, String> {
        if response.status() != self.status {
            return Err(format!("status {}", self.status));
        }
        if let Some(len) = self.body_len
            && response.body().len() != len
        {
            return Err(format!("a {len}-byte body"));
        }
        for (name, value) in &self.expect_headers {
            let found = response
                .headers()
                .get_all(name)
                .iter()
                .any(|v| v.as_bytes() == value.as_bytes());
            if !found {
                return Err(format!(
                    "header `{name}: {}`",
                    crate::redact::shown_text(name.as_str(), value)
                ));
            }
        }
        self.captures
            .iter()
            .map(|(var, header)| {
                response
                    .headers()
                    .get(header)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (var.as_str(), v.to_owned()))
                    .ok_or_else(|| format!("a `{header}` header to capture as {{{var}}}"))
            })
            .collect()
    }
}
