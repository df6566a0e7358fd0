//! `lamina local invoke | start-api | start-lambda`: SAM CLI's local commands, with its
//! command and flag names, running functions in Lamina's sandboxes instead of containers.
//! Extracted code and layers are cached in `$LAMINA_LOCAL_CACHE`, else
//! `$XDG_CACHE_HOME/lamina/local`, else `~/.cache/lamina/local`.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use lamina_sam::local::api::{ApiOptions, LogSink};
use lamina_sam::local::{Project, Runner, RunnerOptions, default_cache_dir};

/// `lamina local` commands.
#[derive(Debug, clap::Subcommand)]
pub enum LocalCommand {
    /// Invoke a function once with an event and exit (`sam local invoke`).
    Invoke(InvokeArgs),
    /// Serve the template's Api and HttpApi routes over HTTP (`sam local start-api`).
    StartApi(StartApiArgs),
    /// Serve Lambda's Invoke API for the template's functions (`sam local start-lambda`).
    StartLambda(StartLambdaArgs),
}

/// Flags every local command shares, named as in SAM CLI.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// The SAM template [default: template.yaml, template.yml or template.json here].
    #[arg(short = 't', long = "template", alias = "template-file")]
    pub template: Option<PathBuf>,
    /// JSON file of environment variable values: {"LogicalId": {...}, "Parameters": {...}}.
    #[arg(short = 'n', long = "env-vars")]
    pub env_vars: Option<PathBuf>,
    /// Template parameter values: `Key=Value` or `ParameterKey=Key,ParameterValue=Value`.
    #[arg(long = "parameter-overrides", num_args = 1..)]
    pub parameter_overrides: Vec<String>,
    /// Run every function on this environment image (`host`, or one of `lamina env list`)
    /// [default: each function on its runtime's image, as `lamina server` runs it: `host`
    /// when this machine's interpreter is exactly that version, else the runtime's default
    /// image, prepared on first use].
    #[arg(long = "env", value_name = "IMAGE")]
    pub env: Option<String>,
    /// The data folder whose images are used and prepared (as `lamina server --data-dir`).
    #[arg(long, env = "LAMINA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Write function logs to this file instead of stderr.
    #[arg(short = 'l', long = "log-file")]
    pub log_file: Option<PathBuf>,
    /// Cache of extracted code and layers.
    #[arg(long, env = "LAMINA_LOCAL_CACHE")]
    pub cache_dir: Option<PathBuf>,
    /// SAM's layer cache folder; here the cache of extracted code and layers (as
    /// `--cache-dir`, which wins when both are given).
    #[arg(long = "layer-cache-basedir", env = "SAM_LAYER_CACHE_BASEDIR")]
    pub layer_cache_basedir: Option<PathBuf>,
    /// Accepted for SAM compatibility: functions run in Lamina's sandboxes, not in Docker
    /// containers, so there is no Docker network to attach them to (a note says so).
    #[arg(long = "docker-network", value_name = "NETWORK")]
    pub docker_network: Option<String>,
    /// Accepted for SAM compatibility: there is no container image to pull.
    #[arg(long = "skip-pull-image")]
    pub skip_pull_image: bool,
}

impl CommonArgs {
    /// The cache folder: `--cache-dir`, else `--layer-cache-basedir`, else the default.
    fn cache(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| self.layer_cache_basedir.clone())
            .unwrap_or_else(default_cache_dir)
    }

    /// Explains flags that have no meaning without Docker.
    fn explain_docker_flags(&self) {
        if let Some(network) = &self.docker_network {
            eprintln!(
                "note: --docker-network {network} is ignored: Lamina runs functions in its own sandboxes, not Docker containers, so there is no Docker network to join"
            );
        }
    }
}

/// Flags of `lamina local invoke`.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The function's logical id; optional when the template has one function.
    pub function_logical_id: Option<String>,
    /// The event: a JSON file, or `-` for stdin. Without it, a piped stdin is read, else `{}`.
    #[arg(short = 'e', long = "event")]
    pub event: Option<String>,
    /// Invoke with `{}` and never read stdin.
    #[arg(long)]
    pub no_event: bool,
    /// Shut the execution environment down after the invoke (SAM's flag; `local invoke`
    /// always ends its environment after the invoke, so this only makes that explicit).
    #[arg(long)]
    pub shutdown: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// When `start-api` starts environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum WarmContainers {
    /// Start one execution environment per function at start-up, so problems show and the
    /// first request finds it warm.
    Eager,
    /// Start each function's environments on demand.
    Lazy,
}

/// Flags of `lamina local start-api`.
#[derive(Debug, clap::Args)]
pub struct StartApiArgs {
    /// Port to listen on.
    #[arg(short = 'p', long, default_value_t = 3000)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Folder of static files served where no route matches.
    #[arg(short = 's', long = "static-dir", default_value = "public")]
    pub static_dir: PathBuf,
    /// EAGER starts one environment per function at start-up; LAZY on first request.
    /// Environments stay warm between requests either way.
    #[arg(long = "warm-containers", value_enum)]
    pub warm_containers: Option<WarmContainers>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Flags of `lamina local start-lambda`.
#[derive(Debug, clap::Args)]
pub struct StartLambdaArgs {
    /// Port to listen on.
    #[arg(short = 'p', long, default_value_t = 3001)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// EAGER starts one environment per function at start-up; LAZY on first request.
    #[arg(long = "warm-containers", value_enum)]
    pub warm_containers: Option<WarmContainers>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Runs a `lamina local` command.
pub fn run(cmd: LocalCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    let mut cleanup = None;
    let result = match cmd {
        LocalCommand::Invoke(args) => runtime.block_on(invoke(args, &mut cleanup)),
        LocalCommand::StartApi(args) => runtime.block_on(start_api(args, &mut cleanup)),
        LocalCommand::StartLambda(args) => runtime.block_on(start_lambda(args, &mut cleanup)),
    };
    // Dropping the runtime waits for the sandboxes' destroy tasks; then the run folder and
    // cgroup parents are empty and can go.
    drop(runtime);
    if let Some(cleanup) = cleanup {
        cleanup.run();
    }
    result
}

/// Filled once a runner exists, so its folders are removed whatever happens next.
type CleanupSlot = Option<lamina_sam::local::runner::Cleanup>;

fn load_project(common: &CommonArgs) -> anyhow::Result<Project> {
    Ok(Project::load(
        common.template.as_deref(),
        &common.parameter_overrides,
        common.env_vars.as_deref(),
    )?)
}

async fn start_runner(project: Project, common: &CommonArgs) -> anyhow::Result<Runner> {
    let init_exe = std::env::current_exe().context("finding the lamina binary")?;
    common.explain_docker_flags();
    let data_dir = common
        .data_dir
        .clone()
        .unwrap_or_else(super::server::default_data_dir);
    let mut opts = RunnerOptions::new(init_exe, common.cache(), data_dir);
    opts.environment = common.env.clone();
    opts.progress = Arc::new(PreparingProgress);
    Ok(Runner::start(project, opts).await?)
}

/// Shows an image being prepared for a local run on stderr, one line per phase (the
/// function's own output follows on the same stream, as with SAM CLI's image pulls).
struct PreparingProgress;

impl lamina_images::Progress for PreparingProgress {
    fn phase(&self, index: usize) {
        if let Some(phase) = lamina_images::PHASES.get(index) {
            eprintln!("Preparing the environment image: {phase}");
        }
    }
    fn line(&self, _line: &str) {}
    fn cached(&self, entry: &Path) {
        eprintln!(
            "Preparing the environment image: reusing the built image {}",
            entry.display()
        );
    }
}

/// Where function logs go: stderr, or the `--log-file`.
fn log_sink(log_file: Option<&Path>) -> anyhow::Result<LogSink> {
    match log_file {
        None => Ok(Arc::new(|text: &str| {
            if !text.is_empty() {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
        })),
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening log file {}", path.display()))?;
            let file = Mutex::new(file);
            Ok(Arc::new(move |text: &str| {
                if !text.is_empty() {
                    let mut f = file
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let _ = writeln!(f, "{text}");
                }
            }))
        }
    }
}

/// A task printing a function's log lines as they arrive.
struct LiveLogs {
    stop: tokio::sync::oneshot::Sender<()>,
    /// Resolves to the number of lines shown.
    task: tokio::task::JoinHandle<usize>,
}

fn follow_logs(runner: &Runner, id: &str, log: LogSink) -> LiveLogs {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let mut feed = runner.engine().logs().follow(&format!("/aws/lambda/{id}"));
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut shown = 0;
        loop {
            tokio::select! {
                event = feed.recv() => match event {
                    Ok(e) => { log(&e.message); shown += 1; }
                    Err(RecvError::Lagged(n)) => log(&format!("({n} log lines dropped)")),
                    Err(RecvError::Closed) => return shown,
                },
                _ = &mut stopped => break,
            }
        }
        // Everything the invocation wrote is in the feed by the time it returned.
        loop {
            match feed.try_recv() {
                Ok(e) => {
                    log(&e.message);
                    shown += 1;
                }
                Err(TryRecvError::Lagged(n)) => log(&format!("({n} log lines dropped)")),
                Err(_) => return shown,
            }
        }
    });
    LiveLogs { stop, task }
}

/// The event for `local invoke`: `-e FILE`, `-e -` (stdin), piped stdin, or `{}`.
fn read_event(args: &InvokeArgs) -> anyhow::Result<Vec<u8>> {
    let (source, bytes) = match args.event.as_deref() {
        _ if args.no_event => return Ok(b"{}".to_vec()),
        Some("-") => ("stdin".to_string(), read_stdin()?),
        Some(path) => (
            format!("event file {path}"),
            std::fs::read(path).with_context(|| format!("cannot read event file {path}"))?,
        ),
        None if !std::io::stdin().is_terminal() => ("stdin".to_string(), read_stdin()?),
        None => return Ok(b"{}".to_vec()),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(b"{}".to_vec());
    }
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        anyhow::bail!(
            "the event from {source} is not valid JSON ({e}); events must be JSON, e.g. from `lamina generate-event`"
        );
    }
    Ok(bytes)
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .context("reading the event from stdin")?;
    Ok(buf)
}

async fn invoke(args: InvokeArgs, slot: &mut CleanupSlot) -> anyhow::Result<ExitCode> {
    let project = load_project(&args.common)?;
    // Name problems before reading stdin or starting anything.
    let id = project
        .function(args.function_logical_id.as_deref())?
        .logical_id
        .clone();
    let event = read_event(&args)?;
    let log = log_sink(args.common.log_file.as_deref())?;
    let runner = start_runner(project, &args.common).await?;
    *slot = Some(runner.cleanup());
    // The function's output is shown as it is written, not only when the invoke ends.
    let live = follow_logs(&runner, &id, Arc::clone(&log));
    let result = runner.invoke(Some(&id), bytes::Bytes::from(event)).await;
    let _ = live.stop.send(());
    let shown = live.task.await.unwrap_or(0);
    runner.shutdown();
    let output = result?;
    if shown == 0 {
        log(&output.log_lines.join("\n"));
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&output.payload)?;
    writeln!(stdout)?;
    // As `sam local invoke`: a function that fails is still a successful invoke (its error
    // payload is the output, exit 0); problems with the command itself exit 1.
    Ok(ExitCode::SUCCESS)
}

async fn bind(host: &str, port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = format!("{host}:{port}");
    match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "port {port} on {host} is already in use: stop what is using it or pick another with -p/--port"
        ),
        Err(e) => Err(anyhow::Error::from(e).context(format!("listening on {addr}"))),
    }
}

async fn warm_up(runner: &Runner, mode: Option<WarmContainers>) -> anyhow::Result<()> {
    if mode == Some(WarmContainers::Eager) {
        for id in runner.project().function_ids() {
            runner
                .prewarm(&id)
                .await
                .with_context(|| format!("starting {id} (--warm-containers EAGER)"))?;
        }
    }
    Ok(())
}

async fn start_api(args: StartApiArgs, slot: &mut CleanupSlot) -> anyhow::Result<ExitCode> {
    let project = load_project(&args.common)?;
    let log = log_sink(args.common.log_file.as_deref())?;
    let listener = bind(&args.host, args.port).await?;
    let static_dir = args.static_dir.is_dir().then(|| args.static_dir.clone());
    let runner = Arc::new(start_runner(project, &args.common).await?);
    *slot = Some(runner.cleanup());
    runner.prepare_images().await;
    if let Err(e) = warm_up(&runner, args.warm_containers).await {
        runner.shutdown();
        return Err(e);
    }
    let local = listener.local_addr()?;
    let table = lamina_sam::local::api::route_table(&runner);
    let mut routes = 0;
    for route in table.routes() {
        routes += 1;
        eprintln!(
            "Mounting {} at http://{local}{} [{}]",
            route.function, route.path, route.method
        );
    }
    if routes == 0 {
        eprintln!(
            "warning: the template has no Api or HttpApi events; only static files will be served"
        );
    }
    if let Some(dir) = &static_dir {
        eprintln!("Serving static files from {}", dir.display());
    }
    eprintln!(
        "You can now browse to the above endpoints. Code changes are picked up without a restart."
    );
    // Tests and scripts wait for this line.
    println!("Running on http://{local}/ (CTRL+C to quit)");
    let app = lamina_sam::local::api::router(
        Arc::clone(&runner),
        ApiOptions {
            static_dir,
            stage: "Prod".into(),
            log,
        },
    );
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        super::signal::shutdown_signal().await;
    })
    .await;
    runner.shutdown();
    served.context("serving")?;
    Ok(ExitCode::SUCCESS)
}

async fn start_lambda(args: StartLambdaArgs, slot: &mut CleanupSlot) -> anyhow::Result<ExitCode> {
    let project = load_project(&args.common)?;
    let log = log_sink(args.common.log_file.as_deref())?;
    let listener = bind(&args.host, args.port).await?;
    let runner = Arc::new(start_runner(project, &args.common).await?);
    *slot = Some(runner.cleanup());
    runner.prepare_images().await;
    if let Err(e) = warm_up(&runner, args.warm_containers).await {
        runner.shutdown();
        return Err(e);
    }
    let local = listener.local_addr()?;
    eprintln!("Functions: {}", runner.project().function_ids().join(", "));
    eprintln!(
        "Invoke them with: aws lambda invoke --endpoint-url http://{local} --function-name <LogicalId> out.json"
    );
    println!("Running on http://{local}/ (CTRL+C to quit)");
    let app = lamina_sam::local::lambda::router(Arc::clone(&runner), log);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            super::signal::shutdown_signal().await;
        })
        .await;
    runner.shutdown();
    served.context("serving")?;
    Ok(ExitCode::SUCCESS)
}
