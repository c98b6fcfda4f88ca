//! The ssetap binary; everything lives in the library.

#[global_allocator]
static ALLOC: ssetap::alloc::Alloc = ssetap::alloc::Alloc;

fn main() {
    std::process::exit(ssetap::main());
}
