//! The `connected_content` fetcher: Liquid's [`Fetcher`] on the one pooled HTTP client, with
//! the outbound URL policy, Braze's 2 s timeout and 1 MB cap, and no redirects.
//!
//! A client-credentials token request (the seed's `Authorization` header posts its client
//! id and secret to `…/services/oauth2/token`) is answered from the shared
//! [`TokenRegistry`] instead of the network, so the seed's templates, kept verbatim, also
//! make one token request per token lifetime. Failures are remembered per send, so the
//! activity log gets a Connected Content error entry even when the template renders on.

use std::sync::{Arc, Mutex};

use leadwire_liquid::http_fetcher::ReqwestFetcher;
use leadwire_liquid::{ConnectedRequest, FetchError, FetchedResponse, Fetcher};
use leadwire_salesforce::token_client::TokenError;

use super::tokens::{TokenRegistry, credentials_in_request};
use super::url_policy::{Allowlist, check_url};

/// The shared part: requests on the pooled client, policy and tokens.
pub struct HttpFetcher {
    requests: ReqwestFetcher,
    allowlist: Arc<Allowlist>,
    tokens: Arc<TokenRegistry>,
}

impl HttpFetcher {
    pub fn new(
        client: reqwest::Client,
        allowlist: Arc<Allowlist>,
        tokens: Arc<TokenRegistry>,
    ) -> Self {
        Self {
            requests: ReqwestFetcher::with_client(client),
            allowlist,
            tokens,
        }
    }

    async fn token_response(
        &self,
        request: &ConnectedRequest,
    ) -> Option<Result<FetchedResponse, FetchError>> {
        let credentials = credentials_in_request(&request.url, request.body.as_deref())?;
        if let Err(refusal) = check_url(&request.url, &self.allowlist) {
            return Some(Err(FetchError::Transport(refusal.to_string())));
        }
        let json = |status: u16, body: serde_json::Value| FetchedResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        };
        Some(match self.tokens.token(&credentials).await {
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
        })
    }

    /// Refuses URLs outside the policy before any network call. No credentials are
    /// stored, so `:basic_auth` / `:auth_credentials` fail as unknown.
    async fn http(&self, request: &ConnectedRequest) -> Result<FetchedResponse, FetchError> {
        check_url(&request.url, &self.allowlist)
            .map_err(|refusal| FetchError::Transport(refusal.to_string()))?;
        self.requests.fetch(request).await
    }
}

/// The fetcher one send renders with: the shared fetcher, plus a note of each failure.
pub struct SendFetcher<'a> {
    shared: &'a HttpFetcher,
    failures: Mutex<Vec<String>>,
}

impl<'a> SendFetcher<'a> {
    pub fn new(shared: &'a HttpFetcher) -> Self {
        Self {
            shared,
            failures: Mutex::new(Vec::new()),
        }
    }

    /// What went wrong in this send's calls: `<url>: <error>` per failed call.
    pub fn into_failures(self) -> Vec<String> {
        self.failures
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note(&self, failure: String) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(failure);
    }
}

#[async_trait::async_trait]
impl Fetcher for SendFetcher<'_> {
    async fn fetch(&self, request: &ConnectedRequest) -> Result<FetchedResponse, FetchError> {
        let result = match self.shared.token_response(request).await {
            Some(result) => result,
            None => self.shared.http(request).await,
        };
        match &result {
            Ok(response) if response.status >= 400 => {
                let mut body = response.body.clone();
                body.truncate(body.floor_char_boundary(2048));
                self.note(format!(
                    "{} answered HTTP {}: {body}",
                    request.url, response.status
                ));
            }
            Ok(_) => {}
            Err(error) => self.note(format!("{}: {error}", request.url)),
        }
        result
    }

    async fn backoff(&self, attempt: u32) {
        self.shared.requests.backoff(attempt).await;
    }
}
