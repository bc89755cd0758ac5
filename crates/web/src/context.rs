//! What every request carries: a request id the user can quote, the client's address, the
//! language, and the security headers every answer gets.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use doorstep_app::access::Ctx;
use doorstep_app::clock::Clock;
use doorstep_core::Lang;
use ipnet::IpNet;

/// The id of one request, shown on error pages and written to the audit log.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives each request an id (kept from `x-request-id` if a proxy set a sane one).
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_string);
    let id =
        given.unwrap_or_else(|| doorstep_app::auth::random_hex(8).unwrap_or_else(|_| "-".into()));
    req.extensions_mut().insert(RequestId(id.clone()));
    // Everything logged while answering (a 500's cause above all) carries the id the user
    // quotes from the error page or the header.
    let span = tracing::info_span!("request", request_id = %id);
    let mut res = tracing::Instrument::instrument(next.run(req), span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Adds the security headers: a CSP without inline script, no framing, no sniffing, no
/// referrer, and no caching of anything personal.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    if is_static {
        set(h, "cache-control", "public, max-age=86400");
    } else {
        set(h, "cache-control", "no-store");
    }
    res
}

/// The request's context for the audit log: client address and request id.
pub struct ReqCtx(pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for ReqCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqCtx(ctx_of(parts)))
    }
}

/// The context of a request's parts.
pub fn ctx_of(parts: &Parts) -> Ctx {
    let ip = client_addr(&parts.extensions, &parts.headers).map(|ip| ip.to_string());
    let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone());
    let clock = parts
        .extensions
        .get::<Arc<dyn Clock>>()
        .cloned()
        .unwrap_or_else(doorstep_app::clock::system);
    Ctx {
        ip,
        request_id,
        clock,
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`DOORSTEP_TRUSTED_PROXIES`): addresses and
/// networks, `10.0.0.5,192.168.0.0/16,::1`. None by default: then the TCP peer is the client,
/// whatever headers it sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trust no proxy.
    pub fn none() -> TrustedProxies {
        TrustedProxies::default()
    }

    /// Whether `ip` is one of them.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated addresses (`10.0.0.5`, `::1`) and networks (`10.0.0.0/8`).
    fn from_str(s: &str) -> Result<TrustedProxies, String> {
        let nets = s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| format!("not an IP address or network: {p:?}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies(nets))
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&list.join(","))
    }
}

/// The client address of a request: the TCP peer, unless the peer is a trusted proxy; then
/// the rightmost `X-Forwarded-For` address that is not itself a trusted proxy. Each proxy
/// appends the address it was reached from, so everything left of the last untrusted hop was
/// written by someone we do not trust and is skipped. An unreadable hop stops the walk at the
/// proxy that passed it on. The trusted list comes from the router's `Arc<TrustedProxies>`
/// extension; without one, no proxy is trusted. Audit entries, the login throttle and the
/// public rate limits all key on this.
pub fn client_addr(extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()?
        .0
        .ip()
        .to_canonical();
    let Some(trusted) = extensions.get::<Arc<TrustedProxies>>() else {
        return Some(peer);
    };
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let hops: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| match v.to_str() {
            Ok(v) => v.split(',').map(parse_hop).collect(),
            Err(_) => vec![None],
        })
        .collect();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        let Some(ip) = hop else { break };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The language of a request: the `lang` cookie, else `Accept-Language`, else Chinese.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("lang=").map(Lang::from_tag));
    cookie.unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Zh, Lang::from_accept_language)
    })
}

/// The request's language.
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(lang_of(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn client(peer: &str, trusted: Option<&str>, xff: &[&str]) -> Option<IpAddr> {
        let mut ext = Extensions::new();
        ext.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
        if let Some(t) = trusted {
            ext.insert(Arc::new(t.parse::<TrustedProxies>().unwrap()));
        }
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        client_addr(&ext, &headers)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(client("203.0.113.9", None, &["1.2.3.4"]), ip("203.0.113.9"));
        assert_eq!(
            client("203.0.113.9", Some(""), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client("10.0.0.1", Some("10.0.0.2"), &["1.2.3.4"]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        let t = Some("10.0.0.0/8, ::1");
        assert_eq!(client("10.0.0.1", t, &["1.2.3.4"]), ip("1.2.3.4"));
        // A client's own forged header is to the left of what the proxy appends.
        assert_eq!(client("10.0.0.1", t, &["6.6.6.6, 5.5.5.5"]), ip("5.5.5.5"));
        assert_eq!(
            client("10.0.0.1", t, &["6.6.6.6", "5.5.5.5"]),
            ip("5.5.5.5")
        );
        // Trusted hops (a chain of proxies) are skipped.
        assert_eq!(client("::1", t, &["1.2.3.4, 10.9.9.9"]), ip("1.2.3.4"));
        assert_eq!(
            client("10.0.0.1", t, &["[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
        assert_eq!(client("10.0.0.1", t, &["1.2.3.4:5678"]), ip("1.2.3.4"));
        // No header, or only trusted hops: the furthest proxy seen.
        assert_eq!(client("10.0.0.1", t, &[]), ip("10.0.0.1"));
        assert_eq!(client("10.0.0.1", t, &["10.0.0.7"]), ip("10.0.0.7"));
        // Garbage stops the walk at the proxy that passed it on.
        assert_eq!(client("10.0.0.1", t, &["1.2.3.4, junk"]), ip("10.0.0.1"));
        // IPv4 peers reached over an IPv6 socket still match IPv4 rules.
        assert_eq!(client("::ffff:10.0.0.1", t, &["1.2.3.4"]), ip("1.2.3.4"));
    }

    #[test]
    fn the_setting_parses_addresses_and_networks() {
        let t: TrustedProxies = " 10.0.0.5 ,192.168.1.7/16,::1".parse().unwrap();
        assert_eq!(t.to_string(), "10.0.0.5/32,192.168.0.0/16,::1/128");
        assert!(t.contains(ip("192.168.200.1").unwrap()));
        assert!(!t.contains(ip("10.0.0.6").unwrap()));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.local".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }
}
