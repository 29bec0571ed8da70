//! bookshelf: a small book catalogue, the kind of service a team ships
//! behind API Gateway, an ALB and a plain server at once.
//!
//! Nothing here knows about crossdrive: it is an ordinary axum app with
//! shared state and tower-http layers, and a live feed over WebSockets
//! ([`live`]) that also ships as a Lambda function behind an API Gateway
//! WebSocket API ([`live_function`], feature `lambda`). `tests/suite.rs`
//! runs one suite on every adapter and on a driver of the team's own,
//! `tests/live.rs` the live feed on every adapter that carries a
//! WebSocket; `benches/api.rs` benchmarks the team's own scenarios on all
//! of them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;

pub mod live;
#[cfg(feature = "lambda")]
mod live_function;
#[cfg(feature = "lambda")]
pub use live_function::live_function;

/// The token a librarian sends to delete books.
pub const LIBRARIAN_TOKEN: &str = "librarian";
/// The largest upload the service accepts, in bytes.
pub const UPLOAD_LIMIT: usize = 64 * 1024;
/// The origin allowed by CORS.
pub const WEB_ORIGIN: &str = "https://bookshelf.example";

/// A book in the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Book {
    /// Its id, given by the service.
    #[serde(default)]
    pub id: u64,
    /// The title; required.
    pub title: String,
    /// The author; required.
    pub author: String,
}

/// What a client sends to create or replace a book.
#[derive(Debug, Deserialize)]
struct NewBook {
    title: String,
    author: String,
}

/// The books, their ids and the live feed's announcements: one per
/// instance of the service (or of its WebSocket function).
pub struct Catalogue {
    books: RwLock<BTreeMap<u64, Book>>,
    next_id: AtomicU64,
    requests: AtomicU64,
    /// Every book shelved, as the live feed announces it.
    live: tokio::sync::broadcast::Sender<String>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Self {
            books: RwLock::default(),
            next_id: AtomicU64::default(),
            requests: AtomicU64::default(),
            live: tokio::sync::broadcast::channel(64).0,
        }
    }
}

impl Catalogue {
    /// Shelves a new book and returns it, or why not.
    pub fn shelve(&self, title: String, author: String) -> Result<Book, &'static str> {
        if title.trim().is_empty() {
            return Err("a book needs a title");
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let book = Book { id, title, author };
        self.books
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, book.clone());
        Ok(book)
    }

    /// How many books are shelved.
    pub fn count(&self) -> usize {
        self.books
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

type Shared = Arc<Catalogue>;

/// A fresh instance of the service, with an empty catalogue.
pub fn app() -> Router {
    let state: Shared = Arc::default();
    let request_ids = Counter(Arc::clone(&state));
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/books", get(list).post(create))
        // `any`: over HTTP/2 the WebSocket handshake is a CONNECT.
        .route("/books/live", any(live::route))
        .route("/books/{id}", get(read).put(replace).delete(remove))
        .route("/books/{id}/cover", get(cover))
        .route("/session", get(session))
        .route("/whoami", get(whoami))
        .route("/upload", post(upload))
        .route("/search", get(search))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT))
        .layer(
            CorsLayer::new()
                .allow_origin(HeaderValue::from_static(WEB_ORIGIN))
                .allow_methods([http::Method::GET, http::Method::POST, http::Method::DELETE])
                .allow_headers([AUTHORIZATION, CONTENT_TYPE]),
        )
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-service"),
            HeaderValue::from_static("bookshelf"),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_ids))
        .with_state(state)
}

/// Request ids for requests that come without one: `req-1`, `req-2`, ...
#[derive(Clone)]
struct Counter(Shared);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let n = self.0.requests.fetch_add(1, Ordering::Relaxed) + 1;
        HeaderValue::from_str(&format!("req-{n}"))
            .ok()
            .map(RequestId::new)
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn etag(book: &Book) -> HeaderValue {
    // A weak validator over the content is enough for a catalogue entry.
    let digest = book
        .title
        .bytes()
        .chain(book.author.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    HeaderValue::from_str(&format!("W/\"{digest:016x}\""))
        .unwrap_or(HeaderValue::from_static("W/\"0\""))
}

#[derive(Deserialize)]
struct ListQuery {
    author: Option<String>,
}

async fn list(State(state): State<Shared>, Query(query): Query<ListQuery>) -> Json<Vec<Book>> {
    let books = state
        .books
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Json(
        books
            .values()
            .filter(|b| query.author.as_ref().is_none_or(|a| &b.author == a))
            .cloned()
            .collect(),
    )
}

async fn create(State(state): State<Shared>, Json(new): Json<NewBook>) -> Response {
    let book = match state.shelve(new.title, new.author) {
        Ok(book) => book,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    // No open feed is no error.
    let _ = state.live.send(live::shelved(&book));
    let location = format!("/books/{}", book.id);
    (
        StatusCode::CREATED,
        [(LOCATION, location)],
        [(ETAG, etag(&book))],
        Json(book),
    )
        .into_response()
}

async fn read(State(state): State<Shared>, Path(id): Path<u64>, headers: HeaderMap) -> Response {
    let books = state
        .books
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(book) = books.get(&id) else {
        return error(StatusCode::NOT_FOUND, "no such book");
    };
    let tag = etag(book);
    if headers.get(IF_NONE_MATCH) == Some(&tag) {
        return (StatusCode::NOT_MODIFIED, [(ETAG, tag)]).into_response();
    }
    ([(ETAG, tag)], Json(book.clone())).into_response()
}

async fn replace(
    State(state): State<Shared>,
    Path(id): Path<u64>,
    Json(new): Json<NewBook>,
) -> Response {
    let mut books = state
        .books
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(book) = books.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, "no such book");
    };
    book.title = new.title;
    book.author = new.author;
    ([(ETAG, etag(book))], Json(book.clone())).into_response()
}

async fn remove(State(state): State<Shared>, Path(id): Path<u64>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(LIBRARIAN_TOKEN) {
        return error(
            StatusCode::UNAUTHORIZED,
            "only a librarian may remove books",
        );
    }
    let removed = state
        .books
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&id);
    match removed {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(StatusCode::NOT_FOUND, "no such book"),
    }
}

/// Every byte value once: a cover image as far as any adapter can tell.
pub fn cover_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

async fn cover(State(state): State<Shared>, Path(id): Path<u64>) -> Response {
    let known = state
        .books
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains_key(&id);
    if !known {
        return error(StatusCode::NOT_FOUND, "no such book");
    }
    ([(CONTENT_TYPE, "image/png")], cover_bytes()).into_response()
}

async fn session() -> impl IntoResponse {
    (
        AppendHeaders([
            (SET_COOKIE, "session=abc123; HttpOnly; Path=/"),
            (SET_COOKIE, "theme=dark; Path=/"),
        ]),
        "welcome",
    )
}

/// The caller's address as the handler sees it.
async fn whoami(request: Request) -> Json<serde_json::Value> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.to_string());
    Json(serde_json::json!({ "peer": peer }))
}

async fn upload(body: axum::body::Bytes) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "bytes": body.len() }))
}

async fn search(query: axum::extract::RawQuery) -> Json<serde_json::Value> {
    let pairs: Vec<(String, String)> = query
        .0
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    Json(serde_json::json!({ "pairs": pairs }))
}
