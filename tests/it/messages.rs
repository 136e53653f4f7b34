//! Snapshots of every message the bot sends, in German and English, plain and HTML.

use chrono::TimeDelta;
use convene::command::{Command, CommandError};
use convene::i18n::Language;
use convene::render::{self, Rendered};

fn show(rendered: &Rendered) -> String {
    format!("--- plain\n{}\n--- html\n{}", rendered.plain, rendered.html)
}

#[test]
fn help() {
    insta::assert_snapshot!("help_de", show(&render::help(Language::German, "IKONE DS")));
    insta::assert_snapshot!(
        "help_en",
        show(&render::help(Language::English, "IKONE DS"))
    );
}

#[test]
fn pong() {
    let delay = Some(TimeDelta::milliseconds(42));
    insta::assert_snapshot!("pong_de", show(&render::pong(Language::German, delay)));
    insta::assert_snapshot!("pong_en", show(&render::pong(Language::English, delay)));
    insta::assert_snapshot!(
        "pong_de_clock_skew",
        show(&render::pong(
            Language::German,
            Some(TimeDelta::milliseconds(-5))
        ))
    );
}

#[test]
fn command_errors() {
    let unknown = CommandError::Unknown("!pnig".to_owned());
    let arguments = CommandError::UnexpectedArguments {
        command: Command::Ping,
    };
    insta::assert_snapshot!(
        "unknown_de",
        show(&render::command_error(Language::German, &unknown))
    );
    insta::assert_snapshot!(
        "unknown_en",
        show(&render::command_error(Language::English, &unknown))
    );
    insta::assert_snapshot!(
        "arguments_de",
        show(&render::command_error(Language::German, &arguments))
    );
    insta::assert_snapshot!(
        "arguments_en",
        show(&render::command_error(Language::English, &arguments))
    );
}

#[test]
fn hostile_command_names_are_escaped() {
    let Some(Err(error)) = convene::command::parse("!<img src=x onerror=alert(1)>") else {
        panic!("not parsed as an unknown command");
    };
    insta::assert_snapshot!(
        "hostile_de",
        show(&render::command_error(Language::German, &error))
    );
}
