//! What a person confirming a sign-in is told about the browser asking for it: the browser and
//! system (from the User-Agent) and an approximate place (from a header the reverse proxy sets,
//! or the kind of network). Plain functions, unit-tested.

use std::net::IpAddr;

/// "Chrome 120 · Windows", "QQ浏览器 12 · Windows", "未知浏览器".
pub fn describe(user_agent: &str) -> String {
    let ua = user_agent;
    let version = |marker: &str| -> Option<String> {
        let i = ua.find(marker)? + marker.len();
        let v: String = ua[i..].chars().take_while(|c| c.is_ascii_digit()).collect();
        (!v.is_empty()).then_some(v)
    };
    let named = |name: &str, marker: &str| match version(marker) {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    };
    // Chinese browsers put their own marker next to Chrome's, so look for them first.
    let browser = if ua.contains("MicroMessenger") {
        "微信内置浏览器".to_string()
    } else if ua.contains("QQBrowser") {
        named("QQ浏览器", "QQBrowser/")
    } else if ua.contains("360SE") || ua.contains("360EE") || ua.contains("QIHU 360") {
        "360浏览器".to_string()
    } else if ua.contains("MetaSr") {
        "搜狗浏览器".to_string()
    } else if ua.contains("UCBrowser") {
        named("UC浏览器", "UCBrowser/")
    } else if ua.contains("Edg/") {
        named("Edge", "Edg/")
    } else if ua.contains("Firefox/") {
        named("Firefox", "Firefox/")
    } else if ua.contains("Chrome/") {
        named("Chrome", "Chrome/")
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        named("Safari", "Version/")
    } else {
        String::new()
    };
    let system = if ua.contains("HarmonyOS") || ua.contains("OpenHarmony") {
        "鸿蒙"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("iPad") {
        "iPadOS"
    } else if ua.contains("iPhone") {
        "iOS"
    } else if ua.contains("Mac OS X") {
        "macOS"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    match (browser.is_empty(), system.is_empty()) {
        (true, true) => "未知浏览器".into(),
        (true, false) => format!("未知浏览器 · {system}"),
        (false, true) => browser,
        (false, false) => format!("{browser} · {system}"),
    }
}

/// An approximate place: the proxy's header value when it sends one (a GeoIP city, say),
/// otherwise what the address itself tells (this computer, an internal network), else empty.
pub fn place(header_value: Option<&str>, ip: &str) -> String {
    if let Some(v) = header_value {
        let v = percent_decode(v.trim());
        let clean: String = v
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect::<String>()
            .trim()
            .to_string();
        if !clean.is_empty() {
            return clean;
        }
    }
    match ip.parse::<IpAddr>() {
        Ok(a) if a.is_loopback() => "本机".into(),
        Ok(IpAddr::V4(v4)) if v4.is_private() || v4.is_link_local() => "内部网络".into(),
        Ok(IpAddr::V6(v6)) if (v6.segments()[0] & 0xfe00) == 0xfc00 => "内部网络".into(),
        _ => String::new(),
    }
}

/// `203.0.113.7` → `203.0.113.*`; IPv6 keeps its first four groups.
pub fn mask_ip(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.*", o[0], o[1], o[2])
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::*", s[0], s[1], s[2], s[3])
        }
        Err(_) => String::new(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_staff_use_are_named() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(describe(chrome), "Chrome 120 · Windows");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91";
        assert_eq!(describe(edge), "Edge 120 · Windows");
        let qq = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.71 Safari/537.36 Core/1.94.202.400 QQBrowser/11.9.5355.400";
        assert_eq!(describe(qq), "QQ浏览器 11 · Windows");
        let se360 = "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.0.0 Safari/537.36 QIHU 360SE";
        assert_eq!(describe(se360), "360浏览器 · Windows");
        let ff = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
        assert_eq!(describe(ff), "Firefox 121 · Linux");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
        assert_eq!(describe(safari), "Safari 17 · macOS");
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        assert_eq!(describe(ipad), "Safari 17 · iPadOS");
        assert_eq!(describe(""), "未知浏览器");
        assert_eq!(describe("curl/8.0"), "未知浏览器");
    }

    #[test]
    fn places_from_header_or_address() {
        assert_eq!(place(Some("%E6%B7%B1%E5%9C%B3"), "203.0.113.7"), "深圳");
        assert_eq!(place(Some("  广东 深圳 "), "203.0.113.7"), "广东 深圳");
        assert_eq!(place(Some(""), "127.0.0.1"), "本机");
        assert_eq!(place(None, "::1"), "本机");
        assert_eq!(place(None, "192.168.1.20"), "内部网络");
        assert_eq!(place(None, "10.2.3.4"), "内部网络");
        assert_eq!(place(None, "203.0.113.7"), "");
        assert_eq!(place(Some("\u{7}\u{8}"), "203.0.113.7"), "");
    }

    #[test]
    fn addresses_are_masked() {
        assert_eq!(mask_ip("203.0.113.7"), "203.0.113.*");
        assert_eq!(mask_ip("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::*");
        assert_eq!(mask_ip("garbage"), "");
    }
}
