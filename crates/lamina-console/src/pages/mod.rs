//! The console's pages, one file per page; each handler loads what it shows through the
//! control layer and renders HTML with the helpers in `html`.

pub mod distributions;
pub mod environment_facts;
pub mod environments;
pub mod function;
pub mod function_tabs;
pub mod functions;
