//! The `connected_content` fetcher: Liquid's [`Fetcher`] on the one pooled HTTP client, with
//! the outbound URL policy, Braze's 2 s timeout and 1 MB cap, and no redirects.
//!
//! A client-credentials token request (the seed's `Authorization` header posts its client
//! id and secret to `…/services/oauth2/token`) is answered from the shared
//! [`TokenRegistry`] instead of the network, so the seed's templates, kept verbatim, also
//! make one token request per token lifetime. Failures are remembered per send, so the
//! activity log gets a Connected Content error entry even when the template renders on; a
//! failed token request names the configured connection it belongs to. A call counts
//! toward its host's in-flight cap ([`super::concurrency`]); a token request does not.

use std::sync::{Arc, Mutex};

use leadwire_liquid::http_fetcher::ReqwestFetcher;
use leadwire_liquid::{ConnectedRequest, FetchError, FetchedResponse, Fetcher};
use leadwire_salesforce::token_client::{ClientCredentials, TokenError};

use super::concurrency::{InFlightLimits, host_key};
use super::tokens::{TokenRegistry, credentials_in_request};
use super::url_policy::{Allowlist, check_url};

/// The shared part: requests on the pooled client, policy, tokens and the host caps.
pub struct HttpFetcher {
    requests: ReqwestFetcher,
    allowlist: Arc<Allowlist>,
    tokens: Arc<TokenRegistry>,
    in_flight: Arc<InFlightLimits>,
}

impl HttpFetcher {
    pub fn new(
        client: reqwest::Client,
        allowlist: Arc<Allowlist>,
        tokens: Arc<TokenRegistry>,
        in_flight: Arc<InFlightLimits>,
    ) -> Self {
        Self {
            requests: ReqwestFetcher::with_client(client),
            allowlist,
            tokens,
            in_flight,
        }
    }

    /// Answers a client-credentials token request from the token caches.
    async fn token_response(
        &self,
        request: &ConnectedRequest,
        credentials: &ClientCredentials,
    ) -> Result<FetchedResponse, FetchError> {
        if let Err(refusal) = check_url(&request.url, &self.allowlist) {
            return Err(FetchError::Transport(refusal.to_string()));
        }
        let json = |status: u16, body: serde_json::Value| FetchedResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        };
        match self.tokens.token(credentials).await {
            Ok(token) => Ok(json(
                200,
                serde_json::json!({
                    "access_token": token.access_token,
                    "instance_url": token.instance_url,
                    "token_type": token.token_type,
                }),
            )),
            Err(TokenError::Refused {
                status,
                error,
                description,
            }) => Ok(json(
                status,
                serde_json::json!({"error": error, "error_description": description}),
            )),
            Err(TokenError::Unreadable { status, body }) => Ok(FetchedResponse {
                status,
                headers: Vec::new(),
                body,
            }),
            Err(error @ TokenError::Transport { .. }) => {
                Err(FetchError::Transport(error.to_string()))
            }
        }
    }

    /// Refuses URLs outside the policy before any network call, then waits for a permit
    /// of the host (`delivery.max_in_flight_per_host`). No credentials are stored, so
    /// `:basic_auth` / `:auth_credentials` fail as unknown.
    async fn http(&self, request: &ConnectedRequest) -> Result<FetchedResponse, FetchError> {
        let url = check_url(&request.url, &self.allowlist)
            .map_err(|refusal| FetchError::Transport(refusal.to_string()))?;
        let _permit = self.in_flight.acquire_host(&host_key(&url)).await;
        self.requests.fetch(request).await
    }
}

/// A `connected_content` call that failed without failing the render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// `<url> answered HTTP <status>: <body>` or `<url>: <error>`; for a connection's token
    /// request, after ``connection `<name>`: ``.
    pub message: String,
    /// The configured connection whose token request failed, when it was one.
    pub connection: Option<String>,
}

/// The fetcher one send renders with: the shared fetcher, plus a note of each failure.
pub struct SendFetcher<'a> {
    shared: &'a HttpFetcher,
    failures: Mutex<Vec<CallFailure>>,
}

impl<'a> SendFetcher<'a> {
    pub fn new(shared: &'a HttpFetcher) -> Self {
        Self {
            shared,
            failures: Mutex::new(Vec::new()),
        }
    }

    /// What went wrong in this send's calls, one per failed call.
    pub fn into_failures(self) -> Vec<CallFailure> {
        self.failures
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note(&self, failure: CallFailure) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(failure);
    }
}

#[async_trait::async_trait]
impl Fetcher for SendFetcher<'_> {
    async fn fetch(&self, request: &ConnectedRequest) -> Result<FetchedResponse, FetchError> {
        let credentials = credentials_in_request(&request.url, request.body.as_deref());
        let result = match &credentials {
            Some(credentials) => self.shared.token_response(request, credentials).await,
            None => self.shared.http(request).await,
        };
        let problem = match &result {
            Ok(response) if response.status >= 400 => {
                let mut body = response.body.clone();
                body.truncate(body.floor_char_boundary(2048));
                format!("{} answered HTTP {}: {body}", request.url, response.status)
            }
            Ok(_) => return result,
            // A token request's errors name its URL already.
            Err(error) if credentials.is_some() => error.to_string(),
            Err(error) => format!("{}: {error}", request.url),
        };
        let connection = credentials
            .as_ref()
            .and_then(|credentials| self.shared.tokens.connection_of(credentials))
            .map(str::to_owned);
        let message = match &connection {
            Some(name) if result.is_ok() => {
                format!("connection `{name}`: token request to {problem}")
            }
            Some(name) => format!("connection `{name}`: {problem}"),
            None => problem,
        };
        self.note(CallFailure {
            message,
            connection,
        });
        result
    }

    async fn backoff(&self, attempt: u32) {
        self.shared.requests.backoff(attempt).await;
    }
}
