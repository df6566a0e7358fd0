//! `lamina server`: opens the store, builds the control plane and serves the API until
//! SIGTERM or Ctrl-C, finishing requests in flight before exiting.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use lamina_api::{AppState, Control, ControlLimits};
use lamina_model::environment::{ImageId, parse_instant};
use lamina_model::{Account, Clock, FixedClock, SystemClock};

/// Flags of `lamina server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001", env = "LAMINA_LISTEN")]
    pub listen: SocketAddr,
    /// Folder for the database and blobs (default: $XDG_DATA_HOME/lamina or ~/.local/share/lamina).
    #[arg(long, env = "LAMINA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Region used in ARNs.
    #[arg(long, default_value = "us-east-1", env = "LAMINA_REGION")]
    pub region: String,
    /// Twelve-digit account id used in ARNs.
    #[arg(long, default_value = "000000000000", env = "LAMINA_ACCOUNT_ID")]
    pub account_id: String,
    /// Largest accepted zip in bytes (Lambda: 52428800).
    #[arg(long, default_value_t = 52_428_800)]
    pub max_zipped_bytes: u64,
    /// Largest unzipped size of code plus layers in bytes (Lambda: 262144000).
    #[arg(long, default_value_t = 262_144_000)]
    pub max_unzipped_bytes: u64,
    /// Seconds an idle execution environment stays warm.
    #[arg(long, default_value_t = 600)]
    pub idle_timeout: u64,
    /// Milliseconds a runtime may take to finish init (Lambda: 10000).
    #[arg(long, default_value_t = 10_000)]
    pub init_timeout_ms: u64,
    /// Billing granularity in ms for REPORT lines (1 today; 100 reproduces 2019).
    #[arg(long, default_value_t = 1)]
    pub billing_granularity_ms: u64,
    /// Account concurrency limit.
    #[arg(long, default_value_t = 1000)]
    pub account_concurrency: u32,
    /// First retry delay in ms of an asynchronous invocation after a function error
    /// (Lambda: 60000; the second retry waits twice as long). A shorter value scales every
    /// asynchronous timing by the same factor (throttle back-off, event age limits), so
    /// tests see Lambda's whole retry schedule in moments.
    #[arg(long, default_value_t = lamina_engine::LAMBDA_RETRY_DELAY_MS, value_parser = clap::value_parser!(u64).range(1..))]
    pub async_retry_delay_ms: u64,
    /// Events of one function run at most this many at once when it has no reserved
    /// concurrency.
    #[arg(long, default_value_t = lamina_engine::DEFAULT_FUNCTION_CONCURRENCY)]
    pub async_function_concurrency: u32,
    /// Serve the control plane only, without running functions (no root needed).
    #[arg(long)]
    pub no_engine: bool,
    /// Record no metrics (no `/metrics`, no CloudWatch metrics); for measuring what
    /// recording costs.
    #[arg(long)]
    pub no_metrics: bool,
    /// Days of 1-minute metrics kept in `<data-dir>/metrics` (CloudWatch keeps 15).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=455))]
    pub metrics_retention_days: u32,
    /// Stop the clock at this RFC 3339 instant (e.g. 2019-06-11T00:00:00Z): migration
    /// phases, LastModified and everything else dated read it. For previews and tests.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Register an existing root file system as an environment image, NAME=DIR (repeatable;
    /// its OS comes from DIR/etc/os-release). Images built by `lamina env` need no flag.
    #[arg(long = "image-root", value_name = "NAME=DIR")]
    pub image_roots: Vec<String>,
    /// The Debian archive the server prepares default images from (a runtime's image that
    /// is not built yet, e.g. debian-13 for python3.13). Default: this machine's apt sources.
    #[arg(long, value_name = "URL")]
    pub image_mirror: Option<String>,
    /// Whether API requests must be signed with SigV4 by an access key (`lamina auth
    /// create-key`). Default: required as soon as a key exists or the address is not
    /// loopback; off on loopback while no key exists.
    #[arg(long, value_enum, env = "LAMINA_AUTH")]
    pub auth: Option<AuthFlag>,
    /// With `--auth off`, listen on a non-loopback address anyway, and allow plain HTTP
    /// there (tests only): anyone who reaches the port can deploy and run code.
    #[arg(long)]
    pub insecure_allow_unauthenticated_remote: bool,
    /// Serve TLS with this PEM certificate (chain). Without it a non-loopback address gets a
    /// self-signed certificate generated into `<data-dir>/tls/` on first start.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve every enabled CloudFront distribution (Lambda@Edge) on this address: requests
    /// pick a distribution by Host header (its dXXXX.cloudfront.net name or an alias).
    /// Distributions are managed through CloudFront's API on --listen either way.
    #[arg(long, value_name = "ADDR")]
    pub edge_listen: Option<SocketAddr>,
    /// Bytes of responses the edge cache keeps in memory.
    #[arg(long, default_value_t = 64 << 20)]
    pub edge_cache_bytes: usize,
    /// Bytes of larger responses (over an eighth of --edge-cache-bytes) the edge cache keeps
    /// in files under the data folder's `edge-cache/` (emptied at start); 0 for none.
    #[arg(long, default_value_t = 1 << 30)]
    pub edge_cache_disk_bytes: u64,
    /// Serve S3 origins from this folder: origin `BUCKET.s3.amazonaws.com` reads
    /// `DIR/BUCKET/<key>`. Without it S3 origins answer 502.
    #[arg(long, value_name = "DIR")]
    pub edge_s3_root: Option<PathBuf>,
}

/// Values of `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthFlag {
    /// Every API request must be signed.
    Required,
    /// No request is checked.
    Off,
}

/// Where data lives when `--data-dir` is not given.
pub(super) fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("lamina");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/lamina"),
        None => PathBuf::from("/var/lib/lamina"),
    }
}

/// Runs the server until a shutdown signal.
pub fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let loopback = args.listen.ip().is_loopback();
    if !loopback && args.auth == Some(AuthFlag::Off) {
        if !args.insecure_allow_unauthenticated_remote {
            anyhow::bail!(
                "refusing to listen on {} with --auth off: anyone who can reach this address could deploy and run code; drop --auth off (requests are then signed with access keys from `lamina auth create-key`), or pass --insecure-allow-unauthenticated-remote if you accept that",
                args.listen
            );
        }
        tracing::warn!(listen = %args.listen, "listening on a non-loopback address WITHOUT authentication: anyone who reaches this port can deploy and run code");
    }
    let valid_account =
        args.account_id.len() == 12 && args.account_id.bytes().all(|b| b.is_ascii_digit());
    anyhow::ensure!(
        valid_account,
        "--account-id must be twelve digits, got {:?}",
        args.account_id
    );
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating data folder {}", data_dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    runtime.block_on(serve(args, data_dir))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServerArgs, data_dir: PathBuf) -> anyhow::Result<()> {
    let store = lamina_store::SqliteStore::open(&data_dir)
        .with_context(|| format!("opening the store in {}", data_dir.display()))?;
    let (journal, synchronous) = store.pragmas().context("reading store pragmas")?;
    tracing::info!(data_dir = %data_dir.display(), journal, synchronous, "store open");
    let account = Account {
        region: args.region.clone(),
        account_id: args.account_id.clone(),
    };
    let mut limits = ControlLimits::default();
    limits.package.max_zipped_bytes = args.max_zipped_bytes;
    limits.package.max_unzipped_bytes = args.max_unzipped_bytes;
    limits.concurrent_executions = args.account_concurrency;
    let store: Arc<dyn lamina_store::Store> = Arc::new(store);
    let clock: Arc<dyn Clock> = match &args.now {
        Some(raw) => {
            let at = parse_instant(raw).context("--now")?;
            tracing::warn!(now = %raw, "the clock is stopped at --now");
            Arc::new(FixedClock::new(at))
        }
        None => Arc::new(SystemClock),
    };
    let control = Arc::new(Control::new(
        Arc::clone(&store),
        account.clone(),
        limits.clone(),
        clock,
    ));
    let environments = Arc::clone(control.environments());
    // The engine gets the control plane's environments at start: they decide each
    // invocation's image and are the one registry of images (manifests and roots).
    let metrics = if args.no_engine || args.no_metrics {
        None
    } else {
        let config = lamina_metrics::MetricsConfig {
            retention_days: args.metrics_retention_days,
            ..lamina_metrics::MetricsConfig::default()
        };
        Some(
            lamina_metrics::Metrics::open(&data_dir.join("metrics"), config)
                .context("opening the metrics in the data folder")?,
        )
    };
    let engine = if args.no_engine {
        None
    } else {
        let resolver = Arc::clone(&environments) as Arc<dyn lamina_engine::EnvironmentResolver>;
        start_engine(
            &args,
            &data_dir,
            &account,
            &limits,
            store,
            resolver,
            metrics.clone(),
        )
        .await
    };
    register_images(&args, &data_dir, &control)?;
    environments.set_scanner(Arc::new(lamina_api::control::StoreScanner::new(
        Arc::clone(control.store()),
    )));
    control
        .load_plans()
        .await
        .map_err(|e| anyhow::anyhow!("loading migration plans: {e}"))?;
    if let Some(engine) = &engine {
        follow_changes(&control, engine);
        // After the plans are loaded: events waiting from before a restart start running at once.
        // The queue ages and schedules events on the machine's clock, even under --now.
        engine
            .start_queue(lamina_engine::QueueConfig {
                retry_delay_ms: args.async_retry_delay_ms,
                function_concurrency: args.async_function_concurrency,
                clock: Arc::new(SystemClock),
            })
            .await
            .map_err(|e| anyhow::anyhow!("starting the asynchronous queue: {e}"))?;
    }
    // A runtime whose default image is not built yet gets it prepared in the background.
    control.set_preparer(lamina_api::control::Preparer {
        service: lamina_api::control::ImageService {
            catalog: lamina_images::DiskCatalog::new(&data_dir),
            cache_dir: lamina_images::cache_dir(),
        },
        mirror: args.image_mirror.clone(),
    });
    control.prepare_missing_images().await;
    // TLS when a certificate is given, and always off loopback (unless the tests' insecure
    // flag says plain HTTP is fine).
    let tls = if args.tls_cert.is_some()
        || (!args.listen.ip().is_loopback() && !args.insecure_allow_unauthenticated_remote)
    {
        Some(
            super::tls::load(
                args.tls_cert.as_deref(),
                args.tls_key.as_deref(),
                &data_dir,
                args.listen,
            )
            .await?,
        )
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let gate = Arc::new(auth_gate(&args, &data_dir, tls.is_some()));
    let state = Arc::new(AppState {
        control,
        runtime_versions: environments,
        base_url: format!("{scheme}://{}", args.listen),
        engine: engine.clone(),
    });
    // CloudFront's API (distributions for Lambda@Edge) shares the port and the gate.
    let edge_options = lamina_edge::EdgeOptions {
        cache_bytes: args.edge_cache_bytes,
        cache_dir: (args.edge_cache_disk_bytes > 0).then(|| data_dir.join("edge-cache")),
        cache_disk_bytes: args.edge_cache_disk_bytes,
        s3_root: args.edge_s3_root.clone(),
    };
    let edge = lamina_edge::Edge::open(&data_dir, Arc::clone(&state), edge_options)
        .context("opening the edge store (edge.db)")?;
    let cloudfront =
        lamina_edge::api::router(Arc::clone(&edge)).layer(axum::middleware::from_fn_with_state(
            (Arc::clone(&state), Arc::clone(&gate)),
            lamina_api::auth::check,
        ));
    // The console (`/console`) shares the API's state, so it calls the same control layer.
    let app = lamina_api::router_with_auth(Arc::clone(&state), Arc::clone(&gate))
        .merge(cloudfront)
        .merge(
            lamina_console::router_with_edge(state, Some(Arc::clone(&edge)))
                .merge(lamina_console::distributions_router(Arc::clone(&edge)))
                .merge(lamina_console::sign_in::router(
                    Arc::clone(&gate),
                    args.account_id.clone(),
                ))
                .layer(axum::middleware::from_fn_with_state(
                    gate,
                    lamina_console::sign_in::require,
                )),
        )
        .layer(axum::Extension(Arc::new(
            lamina_api::control::ImageService {
                catalog: lamina_images::DiskCatalog::new(&data_dir),
                cache_dir: lamina_images::cache_dir(),
            },
        )))
        .layer(axum::extract::DefaultBodyLimit::disable());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "listening on {} (is another server using the port?)",
                args.listen
            )
        })?;
    let local = listener.local_addr().context("reading the bound address")?;
    if let Some(addr) = args.edge_listen {
        serve_edge(addr, edge).await?;
    }
    // Tests and scripts wait for this line to know the port (with --listen 127.0.0.1:0).
    tracing::info!(listen = %local, scheme, "lamina listening");
    if let Some(tls) = &tls {
        println!(
            "TLS certificate {} SHA-256 fingerprint {}",
            tls.cert.display(),
            tls.fingerprint
        );
        tracing::info!(cert = %tls.cert.display(), fingerprint = %tls.fingerprint, "serving TLS");
    }
    println!("lamina listening on {scheme}://{local}");
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?,
        Some(tls) => {
            let listener = listener.into_std().context("taking the listener")?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                // Requests in flight finish (as with plain HTTP); idle connections close.
                stopper.graceful_shutdown(None);
            });
            axum_server::from_tcp_rustls(listener, tls.config)
                .context("serving TLS")?
                .handle(handle)
                .serve(service)
                .await
                .context("serving")?;
        }
    }
    if let Some(engine) = engine {
        // Extensions hear SHUTDOWN before their environments go.
        engine.shutdown_gracefully().await;
    }
    if let Some(metrics) = metrics {
        metrics.close();
    }
    tracing::info!("lamina stopped");
    Ok(())
}

/// Starts the edge proxy on `addr` in the background (it stops with the process).
async fn serve_edge(addr: SocketAddr, edge: Arc<lamina_edge::Edge>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr} for the edge (--edge-listen)"))?;
    let local = listener
        .local_addr()
        .context("reading the edge's bound address")?;
    tracing::info!(listen = %local, "edge proxy listening");
    println!("lamina edge listening on http://{local}");
    let service =
        lamina_edge::proxy::router(edge).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!(error = %e, "the edge proxy stopped");
        }
    });
    Ok(())
}

/// The authentication gate: `--auth`, or the default (required off loopback; on loopback,
/// required as soon as an access key exists).
fn auth_gate(
    args: &ServerArgs,
    data_dir: &std::path::Path,
    secure_cookies: bool,
) -> lamina_api::auth::Gate {
    use lamina_api::auth::AuthMode;
    let keys = Arc::new(lamina_auth::KeyRing::new(lamina_auth::Keys::new(data_dir)));
    let mode = match (args.auth, args.listen.ip().is_loopback()) {
        (Some(AuthFlag::Off), _) => AuthMode::Off,
        (Some(AuthFlag::Required), _) | (None, false) => AuthMode::Required,
        (None, true) => AuthMode::Auto,
    };
    match mode {
        AuthMode::Off => {
            tracing::warn!("authentication is off (--auth off): every request is accepted unsigned")
        }
        AuthMode::Auto if !keys.any() => tracing::warn!(
            "authentication is off until an access key exists (`lamina auth create-key --account ID`); only this machine can reach {}",
            args.listen
        ),
        _ => tracing::info!(
            "authentication required: API requests must be signed (SigV4) with an access key"
        ),
    }
    // A base64 zip of the largest accepted package plus its JSON envelope.
    let max_body_bytes =
        usize::try_from(args.max_zipped_bytes / 3 * 4 + (1 << 20)).unwrap_or(usize::MAX);
    lamina_api::auth::Gate {
        mode,
        keys,
        max_body_bytes,
        throttle: Default::default(),
        sessions: Default::default(),
        secure_cookies,
    }
}

/// Starts the invoke engine; without it (not root, no namespaces) the control plane still
/// serves and Invoke answers with the reason.
async fn start_engine(
    args: &ServerArgs,
    data_dir: &std::path::Path,
    account: &Account,
    limits: &ControlLimits,
    store: Arc<dyn lamina_store::Store>,
    resolver: Arc<dyn lamina_engine::EnvironmentResolver>,
    metrics: Option<Arc<lamina_metrics::Metrics>>,
) -> Option<Arc<lamina_engine::Engine>> {
    let init_exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "cannot find the lamina binary for sandbox init; functions will not run");
            return None;
        }
    };
    let config = lamina_engine::EngineConfig {
        account: account.clone(),
        data_dir: data_dir.to_path_buf(),
        run_dir: data_dir.join("run"),
        init_exe,
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
        init_timeout: std::time::Duration::from_millis(args.init_timeout_ms),
        billing_granularity_ms: args.billing_granularity_ms,
        account_concurrency: args.account_concurrency,
        package_limits: limits.package.clone(),
        netns_pool: 4,
        metrics,
    };
    let setup = lamina_engine::SandboxSetup::default();
    match lamina_engine::Engine::start(config, store, resolver, setup).await {
        Ok(engine) => Some(engine),
        Err(e) => {
            tracing::error!(error = %e, "the invoke engine could not start (it needs root, namespaces and cgroups); serving the control plane only");
            None
        }
    }
}

/// Puts `host` (its manifest probed from `/`), every `--image-root` (probed from its
/// folder) and every image of the data folder's catalog (`lamina env build`) in the one
/// registry of images (the control plane's environments, where the engine finds each
/// directory image's root).
fn register_images(
    args: &ServerArgs,
    data_dir: &std::path::Path,
    control: &Control,
) -> anyhow::Result<()> {
    let environments = control.environments();
    let started = std::time::Instant::now();
    // The library table is cached beside the image build cache while the host's libraries
    // are unchanged, so a start costs a few thousand stat calls, not reading every library.
    let host = lamina_images::probe_cached(
        std::path::Path::new("/"),
        ImageId::host(),
        &lamina_images::cache_dir().join("host"),
    );
    tracing::info!(
        libraries = host.libraries.len(),
        glibc = host.glibc_version.as_deref().unwrap_or("?"),
        ms = started.elapsed().as_millis() as u64,
        "host image probed"
    );
    environments.register_image(host, None);
    for spec in &args.image_roots {
        let (name, dir) = spec
            .split_once('=')
            .with_context(|| format!("--image-root {spec:?}: expected NAME=DIR"))?;
        let id = ImageId::new(name).with_context(|| format!("--image-root {spec:?}"))?;
        anyhow::ensure!(
            id != ImageId::host(),
            "--image-root cannot replace the host image"
        );
        let root = std::path::PathBuf::from(dir);
        anyhow::ensure!(
            root.join("etc").is_dir() || root.join("usr/lib/os-release").exists(),
            "--image-root {spec:?}: no etc/os-release under {dir}"
        );
        environments.register_image(lamina_images::probe(&root, id.clone()), Some(root));
        tracing::info!(image = %id, root = %dir, "image registered");
    }
    for image in lamina_images::DiskCatalog::new(data_dir).load() {
        if environments.catalog().contains(&image.manifest.id) {
            tracing::warn!(image = %image.manifest.id, "an image of the data folder has the name of an --image-root; keeping the --image-root");
            continue;
        }
        control.register_stored_image(&image);
        tracing::info!(image = %image.manifest.id, root = %image.rootfs.display(), "image loaded");
    }
    Ok(())
}

/// Drains warm environments when a function's code or configuration changes.
fn follow_changes(control: &Arc<Control>, engine: &Arc<lamina_engine::Engine>) {
    let mut changes = control.subscribe();
    let engine = Arc::clone(engine);
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(lamina_api::Change::Function(name) | lamina_api::Change::Deleted(name)) => {
                    engine.drain(&name)
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "missed function changes; warm environments may be stale until they expire"
                    );
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

async fn shutdown_signal() {
    let which = super::signal::shutdown_signal().await;
    tracing::info!("{which}: shutting down");
}
