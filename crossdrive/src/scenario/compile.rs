//! Checking a scenario and compiling its steps once, before anything is
//! sent: names, statuses, header names and values, and variables that an
//! earlier step defines.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode, Uri};

use super::template::Template;
use super::{Scenario, ScenarioError, Step};

impl Scenario {
    pub(super) fn compile(&self) -> Result<Compiled, ScenarioError> {
        let invalid = |message: String| ScenarioError::invalid(&self.name, message);
        check_name(&self.name).map_err(invalid)?;
        if !self.steps.iter().any(|s| s.timed) {
            return Err(invalid(format!(
                "scenario `{}` has no timed step; add one with .step(Step::get(..).expect(..)), \
                 which is timed unless marked .untimed()",
                self.name
            )));
        }
        let mut known = vec!["n".to_owned()];
        let mut compile_all = |steps: &[Step], phase: Phase| {
            steps
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    let compiled = CompiledStep::new(step, phase, i + 1, &known)
                        .map_err(|m| invalid(format!("scenario `{}`, {m}", self.name)))?;
                    known.extend(compiled.captures.iter().map(|(v, _)| v.clone()));
                    Ok(compiled)
                })
                .collect::<Result<Vec<_>, ScenarioError>>()
        };
        let setup = compile_all(&self.setup, Phase::Setup)?;
        let steps = compile_all(&self.steps, Phase::Iteration)?;
        Ok(Compiled {
            name: self.name.clone(),
            setup,
            steps,
        })
    }
}

pub(super) fn check_name(name: &str) -> Result<(), String> {
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok {
        return Ok(());
    }
    let suggestion: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let suggestion = suggestion.trim_matches('_');
    let hint = if suggestion.is_empty() || !suggestion.starts_with(|c: char| c.is_ascii_lowercase())
    {
        "such as simple_get".to_owned()
    } else {
        format!("such as `{suggestion}`")
    };
    Err(format!(
        "scenario name `{name}` is not snake_case; name it with lowercase letters, digits and `_`, \
         starting with a letter, {hint}"
    ))
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Phase {
    Setup,
    Iteration,
}

#[derive(Debug, Clone)]
pub(super) struct Compiled {
    pub(super) name: String,
    pub(super) setup: Vec<CompiledStep>,
    pub(super) steps: Vec<CompiledStep>,
}

#[derive(Debug, Clone)]
pub(super) struct CompiledStep {
    /// `step 2 (DELETE /todos/{n})`, for messages.
    pub(super) label: String,
    pub(super) method: Method,
    pub(super) target: Template,
    /// The target, parsed once when it has no variables.
    pub(super) fixed_uri: Option<Uri>,
    pub(super) headers: Vec<(HeaderName, Template, Option<HeaderValue>)>,
    pub(super) body: Bytes,
    pub(super) status: StatusCode,
    pub(super) body_len: Option<usize>,
    pub(super) expect_headers: Vec<(HeaderName, String)>,
    pub(super) captures: Vec<(String, HeaderName)>,
    pub(super) timed: bool,
    pub(super) streamed: bool,
    /// A WebSocket step's plan (`Step::websocket`).
    #[cfg(feature = "websocket")]
    pub(super) websocket: Option<super::step::WebSocketPlan>,
}

fn header_name(name: &str, label: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        format!("{label}: `{name}` is not a valid header name; use a token such as x-request-id")
    })
}

impl CompiledStep {
    fn new(step: &Step, phase: Phase, index: usize, known: &[String]) -> Result<Self, String> {
        let label = match phase {
            Phase::Setup => format!("setup step {index} ({} {})", step.method, step.target),
            Phase::Iteration => format!("step {index} ({} {})", step.method, step.target),
        };
        if let Some(e) = &step.error {
            return Err(format!("{label}: {e}"));
        }
        let status = expected_status(step, &label)?;
        let target = Template::parse(&step.target);
        let fixed_uri = if target.is_fixed() {
            Some(parse_target(&step.target).map_err(|e| format!("{label}: {e}"))?)
        } else {
            None
        };
        let headers = request_headers(step, &label)?;
        let templates = std::iter::once(&target).chain(headers.iter().map(|(_, t, _)| t));
        check_defined(templates, known, &label)?;
        let expect_headers = step
            .expect_headers
            .iter()
            .map(|(n, v)| Ok((header_name(n, &label)?, v.clone())))
            .collect::<Result<_, String>>()?;
        let captures = captures(step, &label)?;
        #[cfg(feature = "websocket")]
        check_websocket(step, status, &label)?;
        Ok(Self {
            label,
            method: step.method.clone(),
            target,
            fixed_uri,
            headers,
            body: step.body.clone(),
            status,
            body_len: step.body_len,
            expect_headers,
            captures,
            timed: step.timed,
            streamed: step.streamed,
            #[cfg(feature = "websocket")]
            websocket: step.websocket.clone(),
        })
    }
}

/// Refuses a WebSocket step that cannot mean anything: a body or a
/// streamed read (a handshake has neither), messages on a handshake that
/// must be refused, a socket kept open with nothing to send.
#[cfg(feature = "websocket")]
fn check_websocket(step: &Step, status: StatusCode, label: &str) -> Result<(), String> {
    let Some(plan) = &step.websocket else {
        return Ok(());
    };
    if !step.body.is_empty() {
        return Err(format!(
            "{label}: a WebSocket handshake has no body; send data with .message(..)"
        ));
    }
    if step.streamed {
        return Err(format!(
            "{label}: a WebSocket step cannot be .streamed(); its messages are timed whole"
        ));
    }
    if status != StatusCode::SWITCHING_PROTOCOLS && !plan.messages.is_empty() {
        return Err(format!(
            "{label} expects the handshake refused ({status}) but sends messages; expect 101 \
             or drop the messages"
        ));
    }
    if plan.keep_open && plan.messages.is_empty() {
        return Err(format!(
            "{label} keeps its WebSocket open but sends no message; add .message(..) or drop \
             .keep_open()"
        ));
    }
    Ok(())
}

/// The status `step` must get, or why it declares none that can be.
fn expected_status(step: &Step, label: &str) -> Result<StatusCode, String> {
    match &step.status {
        Some(Ok(status)) => Ok(*status),
        Some(Err(e)) => Err(format!("{label}: {e}")),
        None => Err(format!(
            "{label} declares no expected status; add .expect(200) or the status it must get"
        )),
    }
}

/// The request headers of `step`, each value a template, parsed once when
/// it has no variables.
fn request_headers(
    step: &Step,
    label: &str,
) -> Result<Vec<(HeaderName, Template, Option<HeaderValue>)>, String> {
    let mut headers = Vec::new();
    for (name, value) in &step.headers {
        let name = header_name(name, label)?;
        let template = Template::parse(value);
        let fixed = if template.is_fixed() {
            Some(HeaderValue::from_str(value).map_err(|_| {
                format!("{label}: the value of `{name}` is not a valid header value; remove control characters")
            })?)
        } else {
            None
        };
        headers.push((name, template, fixed));
    }
    Ok(headers)
}

/// Refuses a variable in `templates` that is not `{n}` and that no earlier
/// step captures, naming the ones that are defined.
fn check_defined<'a>(
    templates: impl Iterator<Item = &'a Template>,
    known: &[String],
    label: &str,
) -> Result<(), String> {
    for var in templates.flat_map(Template::vars) {
        if !known.iter().any(|k| k == var) {
            let defined: Vec<String> = known.iter().map(|k| format!("{{{k}}}")).collect();
            return Err(format!(
                "{label} uses `{{{var}}}`, which no earlier step captures; capture it with \
                 .capture(\"{var}\", <header>) on an earlier step, or use one of: {}",
                defined.join(", ")
            ));
        }
    }
    Ok(())
}

/// The variables `step` captures and the headers they come from; a
/// variable's name is snake_case and not `n`.
fn captures(step: &Step, label: &str) -> Result<Vec<(String, HeaderName)>, String> {
    step.captures
        .iter()
        .map(|(var, header)| {
            let snake = var.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && var
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if var == "n" || !snake {
                return Err(format!(
                    "{label}: `{var}` cannot name a captured variable; use a snake_case name other than `n`, such as etag"
                ));
            }
            Ok((var.clone(), header_name(header, label)?))
        })
        .collect()
}

pub(super) fn parse_target(target: &str) -> Result<Uri, String> {
    if !target.starts_with('/') {
        return Err(format!(
            "the target `{target}` is not a path; write it as /path?query"
        ));
    }
    target
        .parse()
        .map_err(|e| format!("the target `{target}` is not a valid path and query ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_that_is_not_snake_case_is_refused_with_a_suggestion() {
        let e = check_name("Simple GET").unwrap_err();
        assert!(e.contains("`simple_get`"), "{e}");
        assert!(check_name("payload_1kib").is_ok());
        assert!(check_name("1kib").is_err());
    }

    #[test]
    fn a_step_without_a_status_is_refused_saying_to_add_one() {
        let e = Scenario::new("a")
            .step(Step::get("/"))
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains(".expect(200)"), "{e}");
    }

    #[test]
    fn a_scenario_of_untimed_steps_only_is_refused() {
        let e = Scenario::new("a")
            .step(Step::get("/").expect(200).untimed())
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("no timed step"), "{e}");
    }

    #[test]
    fn setup_captures_are_seen_by_every_iteration() {
        let s = Scenario::new("a")
            .setup(Step::put("/x").expect(201).capture("etag", "etag"))
            .step(
                Step::get("/x")
                    .header("if-none-match", "{etag}")
                    .expect(304),
            );
        assert!(s.validate().is_ok());
    }

    #[test]
    fn a_json_body_that_is_not_json_is_refused() {
        let e = Scenario::new("a")
            .step(Step::post("/").json("{oops").expect(200))
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("not JSON"), "{e}");
    }
}
