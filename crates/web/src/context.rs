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

/// The proxies whose forwarding header is believed (`--trusted-proxy`,
/// `DOORSTEP_TRUSTED_PROXIES`): addresses and networks, `10.0.0.5,192.168.0.0/16,::1`, and the
/// one header they write ([`ClientIpHeader`], `X-Forwarded-For` unless configured). None by
/// default: then the TCP peer is the client, whatever headers it sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ClientIpHeader,
}

/// The header a trusted proxy names the client in. One, chosen in the configuration: a proxy
/// sets its own header and passes the others on as the client wrote them (nginx with
/// `X-Real-IP` forwards a client's `X-Forwarded-For` untouched), so believing whichever header
/// is present would believe a forgery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClientIpHeader {
    /// `X-Forwarded-For: client, proxy1, …`: each proxy appends the address it was reached
    /// from; the rightmost address that is not a trusted proxy is the client.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239), read like `X-Forwarded-For`.
    Forwarded,
    /// `X-Real-IP: client`, one address the proxy sets (nginx `$remote_addr`), overwriting
    /// what the client sent.
    XRealIp,
}

impl ClientIpHeader {
    /// The header's name, lower case.
    pub fn name(self) -> &'static str {
        match self {
            ClientIpHeader::XForwardedFor => "x-forwarded-for",
            ClientIpHeader::Forwarded => "forwarded",
            ClientIpHeader::XRealIp => "x-real-ip",
        }
    }
}

impl FromStr for ClientIpHeader {
    type Err = String;

    fn from_str(s: &str) -> Result<ClientIpHeader, String> {
        [
            ClientIpHeader::XForwardedFor,
            ClientIpHeader::Forwarded,
            ClientIpHeader::XRealIp,
        ]
        .into_iter()
        .find(|h| h.name().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| format!("not one of x-forwarded-for, forwarded, x-real-ip: {s:?}"))
    }
}

impl TrustedProxies {
    /// Trust no proxy.
    pub fn none() -> TrustedProxies {
        TrustedProxies::default()
    }

    /// The same proxies, naming the client in `header`.
    pub fn with_header(mut self, header: ClientIpHeader) -> TrustedProxies {
        self.header = header;
        self
    }

    /// Whether `ip` is one of them.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }
}

/// Several lists as one (`--trusted-proxy` given more than once); the header stays the default.
impl FromIterator<TrustedProxies> for TrustedProxies {
    fn from_iter<I: IntoIterator<Item = TrustedProxies>>(lists: I) -> TrustedProxies {
        TrustedProxies {
            nets: lists.into_iter().flat_map(|l| l.nets).collect(),
            header: ClientIpHeader::default(),
        }
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
                    .map_err(|_| {
                        format!("not an IP address or network (CIDR, e.g. 10.0.0.0/8): {p:?}")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies {
            nets,
            header: ClientIpHeader::default(),
        })
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.nets.iter().map(IpNet::to_string).collect();
        f.write_str(&list.join(","))?;
        if !self.nets.is_empty() {
            write!(f, " ({})", self.header.name())?;
        }
        Ok(())
    }
}

/// The client address of a request: the TCP peer, unless the peer is a trusted proxy; then
/// what the proxies' header says. For `X-Forwarded-For` and `Forwarded` that is the rightmost
/// address that is not itself a trusted proxy: each proxy appends the address it was reached
/// from, so everything left of the last untrusted hop was written by someone we do not trust
/// and is skipped; an unreadable hop (`unknown`, an obfuscated name, garbage) stops the walk at
/// the proxy that passed it on. For `X-Real-IP` it is the address the proxy set. Without the
/// header, the proxy itself. The trusted list comes from the router's `Arc<TrustedProxies>`
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
    let values = headers.get_all(trusted.header.name());
    let hops: Vec<Option<IpAddr>> = match trusted.header {
        ClientIpHeader::XRealIp => {
            // One address, set by the proxy; a second header means someone else wrote one.
            let mut values = values.iter();
            return match (values.next(), values.next()) {
                (Some(v), None) => Some(v.to_str().ok().and_then(parse_hop).unwrap_or(peer)),
                _ => Some(peer),
            };
        }
        ClientIpHeader::XForwardedFor => values
            .iter()
            .flat_map(|v| match v.to_str() {
                Ok(v) => v.split(',').map(parse_hop).collect(),
                Err(_) => vec![None],
            })
            .collect(),
        ClientIpHeader::Forwarded => values
            .iter()
            .flat_map(|v| match v.to_str() {
                Ok(v) => v.split(',').map(forwarded_for).collect(),
                Err(_) => vec![None],
            })
            .collect(),
    };
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
        .or_else(|_| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(hop)
                .parse::<IpAddr>()
        })
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The `for=` address of one `Forwarded` element (`for=192.0.2.60;proto=https`,
/// `for="[2001:db8::17]:4711"`); `None` for `unknown`, an obfuscated name or no `for`.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        parse_hop(v)
    })
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
        client_by(ClientIpHeader::XForwardedFor, peer, trusted, xff)
    }

    /// The client as found when the proxies write `header` and the request carries `values`
    /// in it, plus a forged `X-Forwarded-For` and `X-Real-IP` unless those are the header.
    fn client_by(
        header: ClientIpHeader,
        peer: &str,
        trusted: Option<&str>,
        values: &[&str],
    ) -> Option<IpAddr> {
        let mut ext = Extensions::new();
        ext.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
        if let Some(t) = trusted {
            ext.insert(Arc::new(
                t.parse::<TrustedProxies>().unwrap().with_header(header),
            ));
        }
        let mut headers = HeaderMap::new();
        for other in ["x-forwarded-for", "x-real-ip", "forwarded"] {
            if other != header.name() {
                headers.append(other, HeaderValue::from_static("for=6.6.6.6, 6.6.6.6"));
            }
        }
        for v in values {
            headers.append(header.name(), HeaderValue::from_str(v).unwrap());
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
        assert_eq!(
            t.to_string(),
            "10.0.0.5/32,192.168.0.0/16,::1/128 (x-forwarded-for)"
        );
        assert!(t.contains(ip("192.168.200.1").unwrap()));
        assert!(!t.contains(ip("10.0.0.6").unwrap()));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.local".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }

    #[test]
    fn forwarded_is_read_like_x_forwarded_for() {
        let t = Some("10.0.0.0/8");
        let by = |v: &[&str]| client_by(ClientIpHeader::Forwarded, "10.0.0.1", t, v);
        assert_eq!(by(&["for=192.0.2.60;proto=https"]), ip("192.0.2.60"));
        assert_eq!(
            by(&["for=6.6.6.6, for=\"198.51.100.1:4711\";by=10.0.0.1"]),
            ip("198.51.100.1")
        );
        assert_eq!(
            by(&["For=\"[2001:db8:cafe::17]:4711\""]),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(by(&["for=\"[2001:db8::1]\""]), ip("2001:db8::1"));
        assert_eq!(by(&["for=198.51.100.1, for=10.0.0.9"]), ip("198.51.100.1"));
        // Undisclosed or obfuscated hops stop the walk at the proxy that passed them on.
        assert_eq!(by(&["for=198.51.100.1, for=unknown"]), ip("10.0.0.1"));
        assert_eq!(by(&["for=_hidden"]), ip("10.0.0.1"));
        assert_eq!(by(&["proto=https"]), ip("10.0.0.1"));
        assert_eq!(by(&[]), ip("10.0.0.1"));
        // From an untrusted peer nothing is read.
        assert_eq!(
            client_by(
                ClientIpHeader::Forwarded,
                "203.0.113.9",
                t,
                &["for=1.2.3.4"]
            ),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn x_real_ip_is_the_one_address_the_proxy_set() {
        let t = Some("127.0.0.1/32");
        let by = |peer: &str, v: &[&str]| client_by(ClientIpHeader::XRealIp, peer, t, v);
        assert_eq!(by("127.0.0.1", &["198.51.100.7"]), ip("198.51.100.7"));
        assert_eq!(by("127.0.0.1", &["2001:db8::7"]), ip("2001:db8::7"));
        // Garbage, none, or two (one of them not the proxy's): the proxy itself.
        assert_eq!(by("127.0.0.1", &["junk"]), ip("127.0.0.1"));
        assert_eq!(by("127.0.0.1", &[]), ip("127.0.0.1"));
        assert_eq!(by("127.0.0.1", &["1.1.1.1", "2.2.2.2"]), ip("127.0.0.1"));
        assert_eq!(by("203.0.113.9", &["198.51.100.7"]), ip("203.0.113.9"));
    }

    #[test]
    fn the_header_is_named_in_the_setting() {
        assert_eq!(
            "X-Real-IP".parse::<ClientIpHeader>(),
            Ok(ClientIpHeader::XRealIp)
        );
        assert_eq!(
            "forwarded".parse::<ClientIpHeader>(),
            Ok(ClientIpHeader::Forwarded)
        );
        assert!("x-client-ip".parse::<ClientIpHeader>().is_err());
        let two: TrustedProxies = ["10.0.0.1", "192.168.0.0/16,::1"]
            .iter()
            .map(|s| s.parse::<TrustedProxies>().unwrap())
            .collect();
        assert_eq!(
            two.to_string(),
            "10.0.0.1/32,192.168.0.0/16,::1/128 (x-forwarded-for)"
        );
        let err = "10.0.0.0/33".parse::<TrustedProxies>().unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
    }
}
