//! `emberkeep`: the player client. The graphical table is being built (see the README); until
//! then this binary explains how to join a table with the headless bot.

fn main() {
    println!("The graphical Emberkeep client is not built yet.");
    println!(
        "Join a running server with the headless client: emberkeep-tools bot --server 127.0.0.1:5888 --seat fighter"
    );
}
