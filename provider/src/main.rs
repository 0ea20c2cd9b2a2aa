//! The `terraform-provider-ode` binary: started by a core, or by hand with `--debug`.

use ode_provider::{logging, plugin, provider::OdeProvider};

fn main() {
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    let level = logging::level_from_env().or(debug.then_some(tracing::Level::INFO));
    logging::init(level);

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
