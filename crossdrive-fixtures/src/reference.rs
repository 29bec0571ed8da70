//! The reference app: a small in-memory to-do API with bearer-token auth.
//!
//! Its routes are the rows of the benchmark table and the scenarios of the
//! shared suite, chosen to cover what HTTP apps commonly do:
//!
//! | request | answer |
//! |---|---|
//! | `GET /hello` | 200 `Hello, world!` (text) |
//! | `GET /todos` | 200, every to-do as JSON |
//! | `POST /todos` `{"title": ..}` | 201, `Location: /todos/{id}`, the to-do |
//! | `GET /todos/{id}` | 200 with an `ETag`; 304 when `If-None-Match` matches; 404 unknown |
//! | `PUT /todos/{id}` | 200 updated, or 201 created at that id |
//! | `DELETE /todos/{id}` | 204; 404 unknown |
//! | `GET /admin/stats` | 200 with `Bearer admin-token`; 403 with `Bearer user-token`; 401 otherwise |
//! | `POST /echo` | 200, the request body with its content type (payload-size rows) |
//! | `GET /stream?chunks=N&size=S` | 200, a chunked body of N chunks of S bytes each, streamed |
//! | `GET /events` | 200 `text/event-stream`: a `tick` event (`id` and `data` its number, from 1) every 10 ms, forever |
//! | `GET /events?n=N` | the same, ending after N events |
//! | `POST /upload` | 200 `{"bytes": .., "frames": .., "content_length": ..}`: how the request body arrived |
//! | `/ws`, `/ws/admin`, `/ws/silent` | WebSocket echo, its admin-only twin and a socket that never sends ([`realtime`](crate::realtime)) |
//! | other methods on these paths | 405 with `Allow` |
//! | any other path | 404 JSON |
//!
//! Every error body is JSON, `{"error": "<what was wrong>"}`, in the app's
//! own words (never a dependency's, so no test or snapshot pins serde's or
//! axum's wording): a malformed JSON body gets 400, JSON of the wrong
//! shape 422 naming the fields, a body without a JSON content type 415.
//! [`app`] builds a fresh instance with empty state every call, so each
//! test gets its own.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The token of a user with the `admin` role.
pub const ADMIN_TOKEN: &str = "admin-token";
/// The token of a user without the `admin` role.
pub const USER_TOKEN: &str = "user-token";

/// A to-do as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// Its id, as in `/todos/{id}`.
    pub id: u64,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub done: bool,
}

/// What `POST /todos` and `PUT /todos/{id}` accept.
#[derive(Debug, Clone, Deserialize)]
struct NewTodo {
    title: String,
    #[serde(default)]
    done: bool,
}

#[derive(Default)]
struct Store {
    todos: BTreeMap<u64, (Todo, u64)>,
    next_id: u64,
}

type Shared = Arc<Mutex<Store>>;

/// A fresh instance of the reference app, with empty state.
///
/// ```
/// use crossdrive::Client;
/// use crossdrive::Direct;
///
/// let client = Client::new(Direct::new(crossdrive_fixtures::reference::app()));
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// client.get("/hello").await.assert_status(200).assert_text("Hello, world!");
/// # });
/// ```
pub fn app() -> Router {
    let store: Shared = Arc::new(Mutex::new(Store {
        todos: BTreeMap::new(),
        next_id: 1,
    }));
    Router::new()
        .route("/hello", get(hello))
        .route("/todos", get(list).post(create))
        .route("/todos/{id}", get(read).put(replace).delete(remove))
        .route("/admin/stats", get(stats))
        .route("/echo", axum::routing::post(echo))
        .route("/stream", get(stream))
        .route("/events", get(events))
        .route("/upload", axum::routing::post(upload))
        .fallback(no_route)
        .with_state(store)
        .merge(crate::realtime::routes())
}

fn lock(store: &Shared) -> std::sync::MutexGuard<'_, Store> {
    // A panicking test must not poison the app for the assertions after it.
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An error answer: its status and the sentence put in `{"error": ..}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError(status, message.into())
}

fn parse_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            format!("`{raw}` is not a to-do id; ids are positive integers"),
        )
    })
}

fn body(payload: Result<Json<NewTodo>, JsonRejection>) -> Result<NewTodo, ApiError> {
    let Json(new) = payload.map_err(|rejection| match rejection {
        JsonRejection::JsonSyntaxError(_) => {
            error(StatusCode::BAD_REQUEST, "the body is not valid JSON")
        }
        JsonRejection::JsonDataError(_) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a to-do is a JSON object with a string `title` and an optional boolean `done`",
        ),
        JsonRejection::MissingJsonContentType(_) => error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the to-do with `content-type: application/json`",
        ),
        other => error(other.status(), "the body could not be read"),
    })?;
    if new.title.trim().is_empty() {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "title must not be empty",
        ));
    }
    Ok(new)
}

fn etag(id: u64, revision: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{id}-{revision}\""))
        .unwrap_or(HeaderValue::from_static("\"\""))
}

fn location(id: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("/todos/{id}")).unwrap_or(HeaderValue::from_static("/todos"))
}

async fn hello() -> &'static str {
    "Hello, world!"
}

async fn list(State(store): State<Shared>) -> Json<Vec<Todo>> {
    Json(
        lock(&store)
            .todos
            .values()
            .map(|(t, _)| t.clone())
            .collect(),
    )
}

async fn create(
    State(store): State<Shared>,
    payload: Result<Json<NewTodo>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = body(payload)?;
    let mut store = lock(&store);
    let id = store.next_id;
    store.next_id += 1;
    let todo = Todo {
        id,
        title: new.title,
        done: new.done,
    };
    store.todos.insert(id, (todo.clone(), 1));
    let headers = [
        (header::LOCATION, location(id)),
        (header::ETAG, etag(id, 1)),
    ];
    Ok((StatusCode::CREATED, headers, Json(todo)).into_response())
}

async fn read(
    State(store): State<Shared>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw)?;
    let store = lock(&store);
    let Some((todo, revision)) = store.todos.get(&id) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("no to-do with id {id}"),
        ));
    };
    let tag = etag(id, *revision);
    if if_none_match(&headers, &tag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok(([(header::ETAG, tag)], Json(todo.clone())).into_response())
}

/// RFC 9110 weak comparison against every tag listed (or `*`).
fn if_none_match(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    let ours = tag.to_str().unwrap_or_default();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == ours)
}

async fn replace(
    State(store): State<Shared>,
    Path(raw): Path<String>,
    payload: Result<Json<NewTodo>, JsonRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw)?;
    let new = body(payload)?;
    let mut store = lock(&store);
    let todo = Todo {
        id,
        title: new.title,
        done: new.done,
    };
    let (status, revision) = match store.todos.get(&id) {
        Some((_, revision)) => (StatusCode::OK, revision + 1),
        None => (StatusCode::CREATED, 1),
    };
    store.todos.insert(id, (todo.clone(), revision));
    store.next_id = store.next_id.max(id.saturating_add(1));
    let mut response = (status, [(header::ETAG, etag(id, revision))], Json(todo)).into_response();
    if status == StatusCode::CREATED {
        response
            .headers_mut()
            .insert(header::LOCATION, location(id));
    }
    Ok(response)
}

async fn remove(
    State(store): State<Shared>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&raw)?;
    match lock(&store).todos.remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(error(
            StatusCode::NOT_FOUND,
            format!("no to-do with id {id}"),
        )),
    }
}

async fn stats(State(store): State<Shared>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token {
        Some(ADMIN_TOKEN) => Json(json!({ "todos": lock(&store).todos.len() })).into_response(),
        Some(USER_TOKEN) => {
            error(StatusCode::FORBIDDEN, "the admin role is required").into_response()
        }
        Some(_) => unauthorized("the bearer token is not valid"),
        None => unauthorized("a bearer token is required"),
    }
}

async fn echo(headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The most a `/stream` request may ask for, so a typo cannot exhaust memory.
const STREAM_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize)]
struct StreamShape {
    #[serde(default = "default_chunks")]
    chunks: usize,
    #[serde(default = "default_chunk_size")]
    size: usize,
}

fn default_chunks() -> usize {
    16
}

fn default_chunk_size() -> usize {
    1024
}

async fn stream(
    shape: Result<axum::extract::Query<StreamShape>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let axum::extract::Query(shape) = shape.map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "chunks and size must be whole numbers of chunks and bytes",
        )
    })?;
    if shape.chunks.saturating_mul(shape.size) > STREAM_LIMIT {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("chunks × size must stay within {STREAM_LIMIT} bytes"),
        ));
    }
    // Chunk i is filled with the byte b'a' + i % 26, so order is checkable.
    let chunks = (0..shape.chunks).map(move |i| {
        let fill = b'a' + u8::try_from(i % 26).unwrap_or(0);
        Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(vec![fill; shape.size]))
    });
    let body = axum::body::Body::from_stream(futures_util::stream::iter(chunks));
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

#[derive(Deserialize)]
struct EventCount {
    n: Option<u64>,
}

/// The most events `/events?n=` may ask for.
const EVENT_LIMIT: u64 = 100_000;

async fn events(
    count: Result<axum::extract::Query<EventCount>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let axum::extract::Query(count) = count.map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "n must be a whole number of events",
        )
    })?;
    if count.n.is_some_and(|n| n > EVENT_LIMIT) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("n must stay within {EVENT_LIMIT} events; leave it out for an endless stream"),
        ));
    }
    let limit = count.n;
    let ticks = futures_util::stream::unfold(1u64, move |i| async move {
        if limit.is_some_and(|n| i > n) {
            return None;
        }
        if i > 1 {
            // crossdrive's process-wide timer runs on every driver's
            // runtime, with or without a tokio timer of its own.
            crossdrive::guard::sleep(std::time::Duration::from_millis(10)).await;
        }
        let event = axum::response::sse::Event::default()
            .event("tick")
            .id(i.to_string())
            .data(i.to_string());
        Some((Ok::<_, std::convert::Infallible>(event), i + 1))
    });
    Ok(axum::response::sse::Sse::new(ticks).into_response())
}

async fn upload(headers: HeaderMap, body: axum::body::Body) -> Result<Response, ApiError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let (mut bytes, mut frames) = (0usize, 0usize);
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| error(StatusCode::BAD_REQUEST, "the request body broke off"))?;
        if let Some(data) = frame.data_ref() {
            bytes += data.len();
            frames += 1;
        }
    }
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(
        Json(json!({"bytes": bytes, "frames": frames, "content_length": content_length}))
            .into_response(),
    )
}

fn unauthorized(message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"crossdrive\""),
    );
    response
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {}", uri.path()),
    )
}
