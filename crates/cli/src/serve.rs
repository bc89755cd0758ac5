//! `doorstep serve`'s settings for reverse proxies, the public limits and the cap on writes: flags, each with its
//! environment variable, checked before the server starts.

use doorstep_web::{ClientIpHeader, PublicLimits, Rate, TrustedProxies, WriteLimits};

/// Which reverse proxies may name the client, and in which header.
#[derive(clap::Args, Debug)]
pub struct ProxyArgs {
    /// A reverse proxy whose forwarding header names the client: an address or a network
    /// (CIDR), e.g. 127.0.0.1/32. Repeatable; the environment variable takes a comma-separated
    /// list. None by default: the TCP peer is the client and forwarding headers are ignored.
    /// Login throttling, the public limits and the audit log key on the client.
    #[arg(
        long = "trusted-proxy",
        alias = "trusted-proxies",
        value_name = "CIDR",
        env = "DOORSTEP_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxy: Vec<TrustedProxies>,
    /// The header the trusted proxies name the client in: x-forwarded-for (the rightmost
    /// address that is not a trusted proxy), forwarded (RFC 7239, its for=, read the same way)
    /// or x-real-ip. Only this one is read: a proxy passes the others on as the client wrote
    /// them.
    #[arg(
        long,
        value_name = "HEADER",
        env = "DOORSTEP_CLIENT_IP_HEADER",
        default_value = "x-forwarded-for"
    )]
    client_ip_header: ClientIpHeader,
}

impl ProxyArgs {
    /// The trusted proxies as the router takes them.
    pub fn trusted(self) -> TrustedProxies {
        self.trusted_proxy
            .into_iter()
            .collect::<TrustedProxies>()
            .with_header(self.client_ip_header)
    }
}

/// The limits of the public report pages and endpoint (`/r/…`, `/api/v1/public/…`).
#[derive(clap::Args, Debug)]
pub struct LimitArgs {
    /// Public pages: requests one client address may make at once (its bucket's size).
    #[arg(long, value_name = "REQUESTS", env = "DOORSTEP_PUBLIC_PER_ADDRESS_BURST",
          default_value_t = PublicLimits::default().per_ip.burst, value_parser = at_least_one)]
    public_per_address_burst: f64,
    /// Public pages: requests per second one client address gets back after its burst.
    #[arg(long, value_name = "PER_SECOND", env = "DOORSTEP_PUBLIC_PER_ADDRESS_RATE",
          default_value_t = PublicLimits::default().per_ip.per_sec, value_parser = positive)]
    public_per_address_rate: f64,
    /// Public pages: requests one report link may take at once, from all addresses together.
    #[arg(long, value_name = "REQUESTS", env = "DOORSTEP_PUBLIC_PER_LINK_BURST",
          default_value_t = PublicLimits::default().per_token.burst, value_parser = at_least_one)]
    public_per_link_burst: f64,
    /// Public pages: requests per second one report link gets back after its burst.
    #[arg(long, value_name = "PER_SECOND", env = "DOORSTEP_PUBLIC_PER_LINK_RATE",
          default_value_t = PublicLimits::default().per_token.per_sec, value_parser = positive)]
    public_per_link_rate: f64,
    /// Reports being written at once, from everyone; more are answered 503 with Retry-After.
    #[arg(long, value_name = "REPORTS", env = "DOORSTEP_PUBLIC_MAX_IN_FLIGHT",
          default_value_t = PublicLimits::default().max_in_flight,
          value_parser = at_least_one_write)]
    public_max_in_flight: usize,
    /// Staff writes (every method but GET, HEAD and OPTIONS, logins and the public pages
    /// aside) running at once; more wait their turn. Default: 256 on SQLite, 16 on PostgreSQL
    /// (its pool has 20 connections; reads keep the rest).
    #[arg(long, value_name = "WRITES", env = "DOORSTEP_WRITE_MAX_IN_FLIGHT",
          value_parser = at_least_one_write)]
    write_max_in_flight: Option<usize>,
    /// Staff writes waiting for a turn; more are answered 503 `busy` with Retry-After at once.
    #[arg(long, value_name = "WRITES", env = "DOORSTEP_WRITE_MAX_QUEUED",
          default_value_t = WriteLimits::default().max_queued)]
    write_max_queued: usize,
    /// How long a staff write waits for a turn before it is answered 503 `busy` with
    /// Retry-After, in milliseconds.
    #[arg(long, value_name = "MS", env = "DOORSTEP_WRITE_MAX_WAIT_MS",
          default_value_t = WriteLimits::default().max_wait.as_millis() as u64)]
    write_max_wait_ms: u64,
}

impl LimitArgs {
    /// The limits as the router takes them.
    pub fn limits(&self) -> PublicLimits {
        PublicLimits {
            per_ip: Rate {
                burst: self.public_per_address_burst,
                per_sec: self.public_per_address_rate,
            },
            per_token: Rate {
                burst: self.public_per_link_burst,
                per_sec: self.public_per_link_rate,
            },
            max_in_flight: self.public_max_in_flight,
        }
    }

    /// The cap on staff writes as the router takes it, for a server on the database `db`.
    pub fn writes(&self, db: &str) -> WriteLimits {
        let defaults = WriteLimits::for_database(doorstep_app::is_postgres(db));
        WriteLimits {
            max_in_flight: self.write_max_in_flight.unwrap_or(defaults.max_in_flight),
            max_queued: self.write_max_queued,
            max_wait: std::time::Duration::from_millis(self.write_max_wait_ms),
        }
    }
}

/// A number of requests a bucket holds: at least one, or nothing would ever pass.
fn at_least_one(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 1.0 => Ok(n),
        _ => Err(format!("must be a number, at least 1: {s:?}")),
    }
}

/// Writes in flight: at least one, or no report would ever be written.
fn at_least_one_write(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("must be a whole number, at least 1: {s:?}")),
    }
}

/// A rate: a number above zero.
fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(format!("must be a number above 0: {s:?}")),
    }
}

/// A time of day as `--retention-at` takes it, `HH:MM`.
pub fn time_of_day(s: &str) -> Result<time::Time, String> {
    let f = time::macros::format_description!("[hour]:[minute]");
    time::Time::parse(s.trim(), f)
        .map_err(|_| format!("应写作 时:分，如 03:30 / expected HH:MM, e.g. 03:30 (got \"{s}\")"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::LimitArgs;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        limits: LimitArgs,
    }

    fn writes_in_flight(args: &[&str], db: &str) -> usize {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        cli.limits.writes(db).max_in_flight
    }

    #[test]
    fn writes_in_flight_default_to_the_database_and_yield_to_the_flag() {
        assert_eq!(writes_in_flight(&[], "sqlite://doorstep.db"), 256);
        assert_eq!(writes_in_flight(&[], "postgres://localhost/doorstep"), 16);
        assert_eq!(writes_in_flight(&[], "postgresql://localhost/doorstep"), 16);
        // Reads keep connections of the pool to themselves however many writes wait.
        let pool = doorstep_store_postgres::POOL as usize;
        assert!(writes_in_flight(&[], "postgres://localhost/doorstep") + 4 <= pool);
        for db in ["sqlite://doorstep.db", "postgres://localhost/doorstep"] {
            assert_eq!(writes_in_flight(&["--write-max-in-flight", "16"], db), 16);
        }
    }
}
