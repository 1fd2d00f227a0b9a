//! Share posters (分享海报): a PNG of fixed layout with a QR code that opens the page in the
//! mini-program (WeChat's 扫普通链接二维码打开小程序 rule on `wechat.share_link_prefix`).
//! The service draws no text: the mini-program writes title, time, place and unit onto
//! the blank panel with the phone's own font on a canvas (D111), so Chinese and English
//! both render without a CJK font in the binary.

use image::{ImageEncoder, Rgb, RgbImage};

pub const WIDTH: u32 = 750;
pub const HEIGHT: u32 = 1334;
/// The header band (brand red) and the text panel the mini-program writes on.
pub const BAND_HEIGHT: u32 = 160;
pub const PANEL: (u32, u32, u32, u32) = (40, 200, 670, 640); // x, y, width, height
/// The QR code's box (quiet zone included), centred below the panel.
pub const QR_TOP: u32 = 880;
pub const QR_SIZE: u32 = 360;

const BRAND: Rgb<u8> = Rgb([0x9E, 0x1B, 0x1B]);
const PAPER: Rgb<u8> = Rgb([0xF4, 0xF1, 0xEC]);
const WHITE: Rgb<u8> = Rgb([0xFF, 0xFF, 0xFF]);
const INK: Rgb<u8> = Rgb([0x1A, 0x1A, 0x1A]);

/// What a poster points to.
pub enum Target {
    Activity(i64),
    Unit(i64),
}

/// The link in the QR code: `<prefix>/activity?id=N` or `<prefix>/unit?id=N`.
pub fn link(prefix: &str, target: &Target) -> String {
    let prefix = prefix.trim_end_matches('/');
    match target {
        Target::Activity(id) => format!("{prefix}/activity?id={id}"),
        Target::Unit(id) => format!("{prefix}/unit?id={id}"),
    }
}

fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, c: Rgb<u8>) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, c);
        }
    }
}

/// The poster as PNG bytes.
pub fn render(link: &str) -> Vec<u8> {
    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, PAPER);
    fill(&mut img, 0, 0, WIDTH, BAND_HEIGHT, BRAND);
    let (px, py, pw, ph) = PANEL;
    fill(&mut img, px, py, pw, ph, WHITE);
    fill(&mut img, px, py, 12, ph, BRAND);
    fill(&mut img, 0, HEIGHT - 40, WIDTH, 40, BRAND);

    // The QR code: whole pixels per module, four modules of quiet zone, on white.
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)
        .expect("a short link always fits a QR code");
    let modules = code.width() as u32;
    let scale = (QR_SIZE / (modules + 8)).max(1);
    let drawn = scale * (modules + 8);
    let left = (WIDTH - QR_SIZE) / 2 + (QR_SIZE - drawn) / 2;
    let top = QR_TOP + (QR_SIZE - drawn) / 2;
    fill(
        &mut img,
        (WIDTH - QR_SIZE) / 2,
        QR_TOP,
        QR_SIZE,
        QR_SIZE,
        WHITE,
    );
    for (i, c) in code.to_colors().into_iter().enumerate() {
        if c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % modules, i as u32 / modules);
            fill(
                &mut img,
                left + (mx + 4) * scale,
                top + (my + 4) * scale,
                scale,
                scale,
                INK,
            );
        }
    }

    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), WIDTH, HEIGHT, image::ExtendedColorType::Rgb8)
        .expect("encoding into memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poster_is_a_png_of_the_right_size_with_a_readable_layout() {
        let png = render(&link(
            "https://culturehub.ftwhg.gov.cn/mp/",
            &Target::Activity(42),
        ));
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        assert_eq!(*img.get_pixel(10, 10), BRAND);
        // The panel the mini-program writes on is blank white.
        assert_eq!(*img.get_pixel(PANEL.0 + 100, PANEL.1 + 100), WHITE);
        // The QR box has dark modules, and its quiet zone (the corner) is white.
        let x0 = (WIDTH - QR_SIZE) / 2;
        assert_eq!(*img.get_pixel(x0 + 2, QR_TOP + 2), WHITE);
        let dark = (x0..x0 + QR_SIZE)
            .flat_map(|x| (QR_TOP..QR_TOP + QR_SIZE).map(move |y| (x, y)))
            .filter(|&(x, y)| *img.get_pixel(x, y) == INK)
            .count();
        assert!(dark > 10_000, "{dark} dark pixels");
    }

    #[test]
    fn links_point_at_the_page() {
        assert_eq!(
            link("https://a.gov.cn/mp/", &Target::Activity(7)),
            "https://a.gov.cn/mp/activity?id=7"
        );
        assert_eq!(
            link("https://a.gov.cn/mp", &Target::Unit(3)),
            "https://a.gov.cn/mp/unit?id=3"
        );
        // Different targets draw different codes.
        assert_ne!(
            render(&link("https://a.gov.cn/mp", &Target::Activity(1))),
            render(&link("https://a.gov.cn/mp", &Target::Activity(2)))
        );
    }
}
