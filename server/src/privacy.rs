//! Masking of personal data in responses, logs and the audit trail (PIPL: minimum exposure).

/// `13800138000` → `138****8000`; shorter numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() >= 11 {
        let n = digits.len();
        let head: String = digits[n - 11..n - 8].iter().collect();
        let tail: String = digits[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else if digits.len() > 2 {
        let tail: String = digits[digits.len() - 2..].iter().collect();
        format!("{}{tail}", "*".repeat(digits.len() - 2))
    } else {
        "****".into()
    }
}

/// `王小明` → `王*明`, `王明` → `王*`, `Alice` → `A***e`.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// Masks every run of 11+ digits (phone-like) inside free text before it is stored in the
/// audit trail or a log line.
pub fn mask_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 11 {
            out.push_str(&mask_phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn masks() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("+86 13800138000"), "138****8000");
        assert_eq!(mask_name("王小明"), "王*明");
        assert_eq!(mask_name("王明"), "王*");
        assert_eq!(mask_text("call 13800138000 now"), "call 138****8000 now");
        assert_eq!(mask_text("room 101"), "room 101");
    }
}
