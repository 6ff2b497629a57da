//! Players' own characters at the door: a character file from a seat is read and checked with
//! the content library ([`emberkeep_shared::chargen`]), and built into the sheets the table
//! takes (journaled as they are, so a replay needs neither the file nor the library).

use emberkeep_shared::content::ContentLibrary;
use emberkeep_shared::table::Brought;

/// At most this many of a file's problems are told back.
const PROBLEMS_TOLD: usize = 6;

/// The character in `file`, built for the seat whose character is `seat_id`, or every problem
/// found (the first few) in one line.
pub fn read(file: &str, lib: &ContentLibrary, seat_id: &str) -> Result<Brought, String> {
    let def = emberkeep_shared::chargen::parse(file)?;
    let pregen = emberkeep_shared::chargen::build(&def, lib, seat_id).map_err(|problems| {
        let more = problems.len().saturating_sub(PROBLEMS_TOLD);
        let mut told: Vec<String> = problems.into_iter().take(PROBLEMS_TOLD).collect();
        if more > 0 {
            told.push(format!("and {more} more"));
        }
        format!("Your character file: {}", told.join("; "))
    })?;
    Ok(Brought::of(lib, &pregen, Some(def.portrait.clone())))
}
