//! A [`Fetcher`] over reqwest (feature `http`): the 2 s timeout, the 1 MB cap, no redirects,
//! stored credentials for `:basic_auth` / `:auth_credentials`, and exponential backoff.
//! The delivery engine sends its calls through it too, on its own shared client.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::connected_content::{
    ConnectedRequest, FetchError, FetchedResponse, Fetcher, HttpMethod, backoff_delay,
};

/// A stored credential, as in Braze's Settings → Connected Content.
#[derive(Debug, Clone)]
pub enum Credential {
    Basic {
        username: String,
        password: String,
    },
    /// Header name/value pairs added to the request.
    Headers(Vec<(String, String)>),
}

/// Sends Connected Content requests with reqwest.
#[derive(Debug, Clone)]
pub struct ReqwestFetcher {
    client: reqwest::Client,
    credentials: HashMap<String, Credential>,
}

impl ReqwestFetcher {
    /// A client of its own that never follows redirects.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("leadwire-connected-content")
            .build()?;
        Ok(Self::with_client(client))
    }

    /// Sends through `client`, whose redirect policy and user agent the caller chose.
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestFetcher {
            client,
            credentials: HashMap::new(),
        }
    }

    /// Registers a credential under the name templates use.
    pub fn with_credential(mut self, name: impl Into<String>, credential: Credential) -> Self {
        self.credentials.insert(name.into(), credential);
        self
    }

    fn credential(&self, name: &str) -> Result<&Credential, FetchError> {
        self.credentials
            .get(name)
            .ok_or_else(|| FetchError::UnknownCredential(name.to_string()))
    }
}

/// Callers log the URL next to the error, so the error text leaves it out.
fn transport(error: reqwest::Error) -> FetchError {
    if error.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Transport(error.without_url().to_string())
    }
}

#[async_trait::async_trait]
impl Fetcher for ReqwestFetcher {
    async fn fetch(&self, request: &ConnectedRequest) -> Result<FetchedResponse, FetchError> {
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut builder = self
            .client
            .request(method, &request.url)
            .timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        for name in [&request.basic_auth, &request.auth_credentials]
            .into_iter()
            .flatten()
        {
            match self.credential(name)? {
                Credential::Basic { username, password } => {
                    let token = STANDARD.encode(format!("{username}:{password}"));
                    builder = builder.header("Authorization", format!("Basic {token}"));
                }
                Credential::Headers(headers) => {
                    for (header, value) in headers {
                        builder = builder.header(header, value);
                    }
                }
            }
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > request.max_response_bytes {
                return Err(FetchError::TooLarge(request.max_response_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchedResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    async fn backoff(&self, attempt: u32) {
        tokio::time::sleep(backoff_delay(attempt)).await;
    }
}
