//! `emberkeep-tools check-screenshot FILE`: does a PNG look like a rendered table?

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PNG to check.
    file: PathBuf,
    /// Expected width.
    #[arg(long, default_value_t = 1280)]
    width: u32,
    /// Expected height.
    #[arg(long, default_value_t = 720)]
    height: u32,
}

/// Figures about an image.
#[derive(Debug)]
pub struct Stats {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Distinct colours (quantised to 5 bits per channel).
    pub colours: usize,
    /// Share of the most common colour.
    pub top_share: f64,
}

/// Reads a PNG and counts its colours.
pub fn stats(file: &PathBuf) -> anyhow::Result<Stats> {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(file)?));
    let mut reader = decoder.read_info()?;
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .ok_or_else(|| anyhow::anyhow!("image too large"))?
    ];
    let info = reader.next_frame(&mut buf)?;
    let channels = info.color_type.samples();
    let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
    let pixels = (info.width * info.height) as usize;
    for px in buf[..info.buffer_size()].chunks(channels).take(pixels) {
        let key = [
            px[0] >> 3,
            px.get(1).copied().unwrap_or(px[0]) >> 3,
            px.get(2).copied().unwrap_or(px[0]) >> 3,
        ];
        *counts.entry(key).or_default() += 1;
    }
    let top = counts.values().copied().max().unwrap_or(0);
    Ok(Stats {
        width: info.width,
        height: info.height,
        colours: counts.len(),
        top_share: top as f64 / pixels.max(1) as f64,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let s = stats(&args.file)?;
    println!(
        "{}: {}x{}, {} colours, most common colour covers {:.1}%",
        args.file.display(),
        s.width,
        s.height,
        s.colours,
        s.top_share * 100.0
    );
    let mut problems = Vec::new();
    if (s.width, s.height) != (args.width, args.height) {
        problems.push(format!("expected {}x{}", args.width, args.height));
    }
    if s.colours < 64 {
        problems.push("too few colours: not a rendered table".to_string());
    }
    if s.top_share > 0.85 {
        problems.push("one colour covers most of the frame: blank or failed render".to_string());
    }
    if problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("screenshot check failed: {}", problems.join("; "));
        Ok(ExitCode::from(1))
    }
}
