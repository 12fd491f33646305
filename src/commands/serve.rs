//! `doraboard serve`: the API and dashboard, until SIGINT or SIGTERM.

use anyhow::Context;
use std::net::SocketAddr;
use std::path::Path;

pub async fn run(config_path: &Path, demo: bool, addr: SocketAddr) -> anyhow::Result<()> {
    let (config, store) = super::open(config_path, demo).await?;
    if !demo {
        // Other analysis options than the derived rows follow queue every repository; the
        // derivation itself runs in the background (see `api::serve`).
        let options = engine::query::analysis_options(&config);
        store.queue_all_if_options_changed(&options).await?;
    }
    // Read protection is resolved before listening: a misconfigured one never serves open.
    let state = api::AppState::new(store, config)?;
    // The scheduled digest (docs/digest.md), checked before serving: a misconfigured one stops
    // the start rather than failing silently each week.
    let digest = if demo {
        None
    } else {
        api::digest::schedule::spawn(state.config.clone(), state.store.clone())?
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    let what = if demo {
        "the demo organisation"
    } else {
        "doraboard"
    };
    println!("Serving {what} at http://{local}/ (Ctrl-C to stop)");
    // The scheduled GitHub sync (docs/collector.md); one cut short by shutdown resumes next time.
    let scheduler = (!demo)
        .then(|| collector::schedule::spawn(state.config.clone(), state.store.clone()))
        .flatten();
    api::serve(listener, state, shutdown_signal()).await?;
    for task in [scheduler, digest].into_iter().flatten() {
        task.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM (what Kubernetes and systemd send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
