//! The format of `tools/session/commands.txt`: what to type, which keys to press, and
//! how to read what comes back.
//!
//! - Blank lines and lines starting with `#` are skipped.
//! - Any other line is a command, typed with a newline; the harness then waits for the
//!   prompt. After `  ## ` come words that are not typed: the names of its masks (see
//!   [`super::mask`]), or `powers-off` for the last command, which shuts the machine
//!   down: the harness waits for QEMU to exit instead of the prompt.
//! - A line holding only a key in caret notation (`^C` is byte 0x03, `^Z` 0x1a, `^\`
//!   0x1c, `^D` 0x04, `^?` 0x7f) presses that key, without a newline. It belongs to the
//!   command above it, which is then not expected to be back at the prompt before the
//!   key: the key is pressed once the output has been quiet for a moment; written
//!   `^C  ## after TEXT`, also not before TEXT has shown since the command (or the
//!   previous key) was sent. The prompt is awaited after the command's last key.

use super::mask::Mask;

/// Separates what is typed from what tells the harness how to handle it.
const MARK: &str = "  ## ";
/// Introduces the output a key press waits for.
const AFTER: &str = "after ";
/// Marks the command that ends the session by powering the machine off.
const POWERS_OFF: &str = "powers-off";

/// One step of the session: a command and the keys pressed while it runs.
#[derive(Debug, PartialEq, Eq)]
pub struct Step {
    pub command: String,
    pub masks: Vec<Mask>,
    pub keys: Vec<KeyPress>,
    /// The machine powers off after this command, the last one.
    pub powers_off: bool,
}

/// A control key pressed while a command runs.
#[derive(Debug, PartialEq, Eq)]
pub struct KeyPress {
    /// The byte the terminal receives.
    pub byte: u8,
    /// The key as commands.txt writes it, for messages: `^C`.
    pub name: String,
    /// Output to wait for before pressing, besides quiet output.
    pub after: Option<String>,
}

/// The steps of a commands.txt, or what is wrong with it (with its line number).
pub fn parse(text: &str) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let at_line = |err: String| format!("line {}: {err}", index + 1);
        if steps.last().is_some_and(|step| step.powers_off) {
            return Err(at_line(
                "nothing can follow a command that powers off".to_string(),
            ));
        }
        let (typed, options) = line.split_once(MARK).unwrap_or((line, ""));
        let typed = typed.trim_end();

        if let Some(byte) = caret_key(typed) {
            let key = key_press(typed, byte, options).map_err(at_line)?;
            match steps.last_mut() {
                Some(step) => step.keys.push(key),
                None => return Err(at_line(format!("`{typed}` has no command to press it in"))),
            }
            continue;
        }
        let mut masks = Vec::new();
        let mut powers_off = false;
        for word in options.split_whitespace() {
            match Mask::parse(word) {
                Some(mask) => masks.push(mask),
                None if word == POWERS_OFF => powers_off = true,
                None => return Err(at_line(format!("unknown mask `{word}`"))),
            }
        }
        steps.push(Step {
            command: typed.to_string(),
            masks,
            keys: Vec::new(),
            powers_off,
        });
    }
    Ok(steps)
}

fn key_press(name: &str, byte: u8, options: &str) -> Result<KeyPress, String> {
    let after = if options.is_empty() {
        None
    } else {
        match options.strip_prefix(AFTER) {
            Some(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
            _ => return Err(format!("a key takes `{AFTER}TEXT`, not `{options}`")),
        }
    };
    Ok(KeyPress {
        byte,
        name: name.to_string(),
        after,
    })
}

/// The byte of a key in caret notation: `^` and a character from `@` to `_` (the
/// control character 0x40 below it) or `?` (DEL).
fn caret_key(text: &str) -> Option<u8> {
    match text.as_bytes() {
        [b'^', b'?'] => Some(0x7f),
        [b'^', c @ b'@'..=b'_'] => Some(c ^ 0x40),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let steps = parse("# about\n\n   \nls\n  # indented\n").unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].command, "ls");
    }

    #[test]
    fn masks_follow_the_mark() {
        let steps = parse("ps  ## pids numbers\nls\n").unwrap();
        assert_eq!(steps[0].command, "ps");
        assert_eq!(steps[0].masks, [Mask::Pids, Mask::Numbers]);
        assert!(steps[1].masks.is_empty());
        assert!(parse("ls  ## nonsense").is_err());
    }

    #[test]
    fn caret_notation_names_control_bytes() {
        assert_eq!(caret_key("^C"), Some(0x03));
        assert_eq!(caret_key("^Z"), Some(0x1a));
        assert_eq!(caret_key("^\\"), Some(0x1c));
        assert_eq!(caret_key("^@"), Some(0x00));
        assert_eq!(caret_key("^?"), Some(0x7f));
        assert_eq!(caret_key("^c"), None);
        assert_eq!(caret_key("^CC"), None);
        assert_eq!(caret_key("echo ^C"), None);
    }

    #[test]
    fn keys_belong_to_the_command_above() {
        let steps = parse("sleep 100\n^Z\njobs\nfg\n^C  ## after sleep 100\necho $?\n").unwrap();
        let commands: Vec<&str> = steps.iter().map(|s| s.command.as_str()).collect();
        assert_eq!(commands, ["sleep 100", "jobs", "fg", "echo $?"]);
        assert_eq!(
            steps[0].keys,
            [KeyPress {
                byte: 0x1a,
                name: "^Z".to_string(),
                after: None
            }]
        );
        assert!(steps[1].keys.is_empty());
        assert_eq!(steps[2].keys[0].byte, 0x03);
        assert_eq!(steps[2].keys[0].after.as_deref(), Some("sleep 100"));
    }

    #[test]
    fn a_command_may_take_several_keys() {
        let steps = parse("cat\n^C\n^D\n").unwrap();
        let bytes: Vec<u8> = steps[0].keys.iter().map(|k| k.byte).collect();
        assert_eq!(bytes, [0x03, 0x04]);
    }

    #[test]
    fn the_last_command_may_power_off() {
        let steps = parse("ls\npoweroff  ## powers-off\n# done\n").unwrap();
        assert!(!steps[0].powers_off);
        assert!(steps[1].powers_off);
        assert!(steps[1].masks.is_empty());
        assert!(parse("poweroff  ## powers-off\nls\n").is_err());
        assert!(parse("poweroff  ## powers-off\n^C\n").is_err());
    }

    #[test]
    fn misplaced_or_malformed_keys_are_errors() {
        let err = parse("# first\n^C\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(parse("sleep 9\n^C  ## pids\n").is_err());
        assert!(parse("sleep 9\n^C  ## after \n").is_err());
    }
}
