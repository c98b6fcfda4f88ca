//! The ssetap binary; everything lives in the library.

fn main() {
    std::process::exit(ssetap::main());
}
