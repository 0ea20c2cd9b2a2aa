//! The `terraform-provider-ode` binary: started by a core, or by hand with `--debug`.

use ode_provider::{logging, plugin, provider::OdeProvider};

/// The provider's version, as released (the workspace version).
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-version") {
        println!("terraform-provider-ode {VERSION} (plugin protocol 6)");
        return;
    }
    let debug = args.iter().any(|a| a == "--debug" || a == "-debug");
    let level = logging::level_from_env().or(debug.then_some(tracing::Level::INFO));
    logging::init(level);
    // The library's target: only it may log below WARN (see logging.rs).
    tracing::info!(target: "ode_provider", version = VERSION, "terraform-provider-ode starting");

    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-ode: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = rt.block_on(async {
        if debug {
            plugin::serve_debug(OdeProvider).await
        } else {
            plugin::serve(OdeProvider).await
        }
    });
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
