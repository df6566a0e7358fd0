//! The end of a long-running command (`lamina server`, `lamina local start-api` and
//! `start-lambda`): Ctrl-C or SIGTERM, whichever comes first, so each can shut down gracefully.

/// Waits for Ctrl-C or SIGTERM and says which came. A signal that cannot be listened for is
/// logged and never fires, rather than ending the command at once.
pub(super) async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => "Ctrl-C",
        () = term => "SIGTERM",
    }
}
