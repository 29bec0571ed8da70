//! Route selection: which route a message takes, as API Gateway chooses it.
//!
//! The API's route selection expression is evaluated on each message
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html>,
//! "Route selection expressions"): `$request.body.<path>` unwrapped, or
//! any text with `${request.body.<path>}` variables in it; a `\$` is a
//! literal dollar. The value is stringified (a string as itself, anything
//! else as its JSON). The route whose key equals the result is taken;
//! else `$default` if the API has it; else no route (API Gateway then
//! answers the client with its `Forbidden` message). A message that is not
//! JSON, or lacks a variable's element, cannot be evaluated and goes to
//! `$default` ("Non-JSON messages are directed to a `$default` route").

use serde_json::Value;

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selected {
    /// The route with this key (a custom key or `$default`).
    Route(String),
    /// No route matched and the API has no `$default`.
    NoRoute,
}

/// Chooses the route of `message` under `expression`.
pub(crate) fn select(
    expression: &str,
    message: &str,
    routes: &[String],
    has_default: bool,
) -> Selected {
    let key = serde_json::from_str::<Value>(message)
        .ok()
        .and_then(|body| evaluate(expression, &body));
    match key {
        Some(key) if routes.contains(&key) => Selected::Route(key),
        _ if has_default => Selected::Route("$default".to_owned()),
        _ => Selected::NoRoute,
    }
}

/// The expression's value on `body`, or `None` when a variable has no value.
fn evaluate(expression: &str, body: &Value) -> Option<String> {
    // The unwrapped form is the whole expression.
    if let Some(path) = expression.strip_prefix("$request.body.") {
        return lookup(body, path);
    }
    let mut out = String::new();
    let mut rest = expression;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("\\$") {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            let end = after.find('}')?;
            let path = after[..end].strip_prefix("request.body.")?;
            out.push_str(&lookup(body, path)?);
            rest = &after[end + 1..];
        } else {
            let mut chars = rest.chars();
            out.extend(chars.next());
            rest = chars.as_str();
        }
    }
    Some(out)
}

/// The element at dotted `path`, stringified.
fn lookup(body: &Value, path: &str) -> Option<String> {
    let mut value = body;
    for part in path.split('.') {
        value = match value {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<String> {
        vec!["join".to_owned(), "chat/join".to_owned(), "7".to_owned()]
    }

    #[test]
    fn the_action_field_picks_its_custom_route() {
        let picked = select(
            "$request.body.action",
            r#"{"action":"join"}"#,
            &routes(),
            true,
        );
        assert_eq!(picked, Selected::Route("join".to_owned()));
    }

    #[test]
    fn an_unknown_action_a_missing_field_and_non_json_go_to_default() {
        for message in [r#"{"action":"leave"}"#, r#"{"other":1}"#, "not json", ""] {
            let picked = select("$request.body.action", message, &routes(), true);
            assert_eq!(picked, Selected::Route("$default".to_owned()), "{message}");
        }
    }

    #[test]
    fn without_a_default_route_an_unmatched_message_has_no_route() {
        let picked = select(
            "$request.body.action",
            r#"{"action":"leave"}"#,
            &routes(),
            false,
        );
        assert_eq!(picked, Selected::NoRoute);
    }

    #[test]
    fn wrapped_variables_nested_paths_and_static_text_combine_as_aws_documents() {
        let message = r#"{"service":"chat","action":"join","data":{"n":7}}"#;
        let both = "${request.body.service}/${request.body.action}";
        assert_eq!(
            select(both, message, &routes(), false),
            Selected::Route("chat/join".to_owned())
        );
        // A number is stringified.
        assert_eq!(
            select("${request.body.data.n}", message, &routes(), false),
            Selected::Route("7".to_owned())
        );
        assert_eq!(
            evaluate("\\$default", &Value::Null).as_deref(),
            Some("$default")
        );
    }
}
