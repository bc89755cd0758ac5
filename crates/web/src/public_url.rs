//! The address residents reach this server at: what report links, posters and QR codes print.
//! It is configuration (`DOORSTEP_PUBLIC_URL`), never the request's `Host` header, which
//! whoever sends the request chooses: a poster printed from a page opened under a forged host
//! would send residents, and their ID numbers, elsewhere.

use std::net::SocketAddr;
use std::sync::Arc;

/// The base URL of this server as residents reach it, e.g. `https://doorstep.example.org`
/// (no trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(Arc<str>);

/// Why a public URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "公开地址应为 http:// 或 https:// 开头的完整地址，如 https://doorstep.example.org / \
     the public URL must be a whole http:// or https:// address, e.g. https://doorstep.example.org"
)]
pub struct BadPublicUrl;

impl PublicUrl {
    /// Reads an `http://` or `https://` URL with a host, optionally a port and a path; no
    /// query, fragment, user, white space or control characters.
    pub fn parse(raw: &str) -> Result<PublicUrl, BadPublicUrl> {
        let url = raw.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or(BadPublicUrl)?;
        let host = rest.split('/').next().unwrap_or_default();
        let clean = url
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"?#@\\\"<>".contains(&b));
        if host.is_empty() || host.starts_with(':') || !clean {
            return Err(BadPublicUrl);
        }
        Ok(PublicUrl(url.into()))
    }

    /// `http://` and the address a server listens on (for a loopback bind without a
    /// configured URL).
    pub fn of_addr(addr: SocketAddr) -> PublicUrl {
        PublicUrl(format!("http://{addr}").into())
    }

    /// The URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The resident's page of a report link.
    pub fn report_link(&self, token: &str) -> String {
        format!("{}/r/{token}", self.0)
    }

    /// A household's check-in page.
    pub fn checkin_link(&self, token: &str) -> String {
        format!("{}/c/{token}", self.0)
    }
}

impl Default for PublicUrl {
    /// The default listening address, `http://127.0.0.1:8080`.
    fn default() -> PublicUrl {
        PublicUrl::of_addr(SocketAddr::from(([127, 0, 0, 1], 8080)))
    }
}

impl std::fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_http_urls_only() {
        for (raw, want) in [
            (
                "https://doorstep.example.org/",
                "https://doorstep.example.org",
            ),
            ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
            (" https://x.example/jk/ ", "https://x.example/jk"),
        ] {
            assert_eq!(PublicUrl::parse(raw).unwrap().as_str(), want);
        }
        for bad in [
            "",
            "doorstep.example.org",
            "ftp://x.example",
            "https://",
            "https://:80",
            "https://x.example/?a=1",
            "https://user@x.example",
            "https://x.exa mple",
            "https://x.exa\nmple",
            "javascript:alert(1)",
        ] {
            assert_eq!(PublicUrl::parse(bad), Err(BadPublicUrl), "{bad:?}");
        }
        assert_eq!(
            PublicUrl::of_addr("[::1]:80".parse().unwrap()).as_str(),
            "http://[::1]:80"
        );
    }
}
