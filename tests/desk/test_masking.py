"""Tests for finding credentials in chat messages and masking them."""

from __future__ import annotations

import dataclasses

import pytest

from desk.masking import (
    API_KEY,
    CARD_NUMBER,
    PASSWORD,
    PRIVATE_KEY,
    TOKEN,
    Masked,
    mask_credentials,
)

MASKED_PASSWORD = "[masked password]"
MASKED_API_KEY = "[masked API key]"
MASKED_TOKEN = "[masked token]"
MASKED_PRIVATE_KEY = "[masked private key]"
MASKED_CARD = "[masked card number]"

PASSWORDS_IN_WORDS = [
    ("my password is Hunter2!", "my password is [masked password]"),
    ("password: S3cret#99", "password: [masked password]"),
    ("pwd=abc123xyz", "pwd=[masked password]"),
    ("passwd Tr0ub4dor&3", "passwd [masked password]"),
    ("pw is qwerty12", "pw is [masked password]"),
    ("the new pass is 'Summer2026'", "the new pass is '[masked password]'"),
    ("PIN: 4821", "PIN: [masked password]"),
    ("new PIN 4821 please", "new PIN [masked password] please"),
    ("my pin code is 1234", "my pin code is [masked password]"),
    ("PIN number: 5678", "PIN number: [masked password]"),
    ("Password: hunter2", "Password: [masked password]"),
    ("PASSWORD=Winter2025", "PASSWORD=[masked password]"),
    ("DB_PASSWORD=s3cr3t-value", "DB_PASSWORD=[masked password]"),
    ("Passcode 558812", "Passcode [masked password]"),
    (
        "my password is now Spring#2026, can you check?",
        "my password is now [masked password], can you check?",
    ),
    (
        "my password was changed to Welcome1 by the service desk",
        "my password was changed to [masked password] by the service desk",
    ),
    (
        "the password for the VPN is Blue-Fox-42",
        "the password for the VPN is [masked password]",
    ),
    (
        "password for jdoe@example.com: Xy7!pq2w",
        "password for jdoe@example.com: [masked password]",
    ),
    ("password: it's Lemon_Tree9", "password: it's [masked password]"),
    (
        'passphrase: "correct horse battery staple"',
        'passphrase: "[masked password]"',
    ),
    ("reset it, my password is sunflower", "reset it, my password is [masked password]"),
    (
        "password: \N{LEFT DOUBLE QUOTATION MARK}Blue Moon 77\N{RIGHT DOUBLE QUOTATION MARK}",
        "password: \N{LEFT DOUBLE QUOTATION MARK}[masked password]\N{RIGHT DOUBLE QUOTATION MARK}",
    ),
    ("密码是abc123456", "密码是[masked password]"),
    ("密码\N{FULLWIDTH COLON}Pa55word", "密码\N{FULLWIDTH COLON}[masked password]"),
    ("我的新密码为 Qw3rty!@#", "我的新密码为 [masked password]"),
    (
        "WiFi密码是guest2024\N{FULLWIDTH COMMA}谢谢",
        "WiFi密码是[masked password]\N{FULLWIDTH COMMA}谢谢",
    ),
    ("登录密码 P@ssw0rd 不能用", "登录密码 [masked password] 不能用"),
    ("PIN码是 9375", "PIN码是 [masked password]"),
]

SENTENCES_ABOUT_PASSWORDS = [
    "I forgot my password",
    "password expired this morning",
    "reset my password please",
    "my password is not working",
    "the password is expired",
    "密码过期了",
    "忘记密码",
    "my password is wrong apparently",
    "my password is correct, I checked twice",
    "my password isn't accepted",
    "my password is being rejected",
    "my password is getting rejected",
    "my password was emailed to me",
    "my password is suddenly not accepted",
    "my password is re-enabled now",
    "my password is too short",
    "My password is 12 characters long",
    "password is expiring in 3 days",
    "password reset link never arrived",
    "The password prompt keeps appearing",
    "the password manager crashed after the update",
    "password: same as before",
    "is the password the same as my email password?",
    "passwords don't sync between my laptop and phone",
    "I changed my password yesterday",
    "password-protected PDF from HR won't open",
    "what is the password for printer HP-4015?",
    "we use a password manager called 1Password",
    "the pw field is greyed out",
    "I didn't pass the MFA check",
    "please pin this message",
    "pin 3 of the connector is bent",
    "run pwd in the terminal and send me the output",
    "pwd /home/jdoe shows the wrong folder",
    "my visitor pass is downstairs at reception",
    "my PIN is locked after three tries",
    "密码错误",
    "密码不对\N{FULLWIDTH COMMA}登录不了",
    "请帮我重置密码",
]

KNOWN_SHAPES = [
    (
        "aws access key AKIAIOSFODNN7EXAMPLE in the config",
        f"aws access key {MASKED_API_KEY} in the config",
        API_KEY,
    ),
    ("temporary key ASIAY34FZKBOKMUTVV7A", f"temporary key {MASKED_API_KEY}", API_KEY),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        f"aws_secret_access_key = {MASKED_API_KEY}",
        API_KEY,
    ),
    (
        "export OPENAI_API_KEY=sk-proj-AbCdEf0123456789GhIjKlMnOpQrSt",
        f"export OPENAI_API_KEY={MASKED_API_KEY}",
        API_KEY,
    ),
    ("old key sk-AbCdEf0123456789GhIjKlMn", f"old key {MASKED_API_KEY}", API_KEY),
    (
        "maps key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW works",
        f"maps key {MASKED_API_KEY} works",
        API_KEY,
    ),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", f"stripe {MASKED_API_KEY}", API_KEY),
    ("rk_live_51H8xYzAbCdEfGh12345", MASKED_API_KEY, API_KEY),
    ("publishable pk_test_TYooMQauvdEDq54NiTphI7jx", f"publishable {MASKED_API_KEY}", API_KEY),
    (
        "git clone with ghp_16C7e42F292c6912E7710c838347Ae178B4a fails",
        f"git clone with {MASKED_TOKEN} fails",
        TOKEN,
    ),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", MASKED_TOKEN, TOKEN),
    (
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH",
        MASKED_TOKEN,
        TOKEN,
    ),
    (
        "SLACK_BOT_TOKEN=xoxb-2048-4096-AbCdEfGhIjKlMnOpQrStUv",
        f"SLACK_BOT_TOKEN={MASKED_TOKEN}",
        TOKEN,
    ),
    ("user token xoxp-1234567890-abcdefABCDEF", f"user token {MASKED_TOKEN}", TOKEN),
    (
        "socket mode xapp-1-A0123456789-1234567890123-abcdef0123456789",
        f"socket mode {MASKED_TOKEN}",
        TOKEN,
    ),
    (
        "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4"
        "gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c expired?",
        f"jwt {MASKED_TOKEN} expired?",
        TOKEN,
    ),
    (
        "curl -H 'Authorization: Bearer abc123def456ghi789' https://api.example.com",
        f"curl -H 'Authorization: Bearer {MASKED_TOKEN}' https://api.example.com",
        TOKEN,
    ),
    (
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        f"Authorization: Basic {MASKED_PASSWORD}",
        PASSWORD,
    ),
]

ASSIGNMENTS = [
    ("api_key=9f8e7d6c5b4a3210", f"api_key={MASKED_API_KEY}", API_KEY),
    ("apikey: 5c1f0d2e9a8b7c6d", f"apikey: {MASKED_API_KEY}", API_KEY),
    ("X-API-Key: 0123456789abcdef", f"X-API-Key: {MASKED_API_KEY}", API_KEY),
    ('{"api_key": "a1b2c3d4e5f6g7h8"}', f'{{"api_key": "{MASKED_API_KEY}"}}', API_KEY),
    ("my api key is 3f9c2b7a1d8e4f60", f"my api key is {MASKED_API_KEY}", API_KEY),
    ("secret=hunter2hunter2", f"secret={MASKED_API_KEY}", API_KEY),
    (
        "client_secret abcdEFGH1234ijkl5678",
        f"client_secret {MASKED_API_KEY}",
        API_KEY,
    ),
    ("token=Zm9vYmFyYmF6MTIz", f"token={MASKED_TOKEN}", TOKEN),
    ("access_token: ya29.a0AfH6SMBx1234", f"access_token: {MASKED_TOKEN}", TOKEN),
    ("here is the token: 483920", f"here is the token: {MASKED_TOKEN}", TOKEN),
]

WORDS_THAT_ARE_NOT_KEYS = [
    "my token expired",
    "the API key is invalid",
    "token: expired",
    "api_key=YOUR_API_KEY",
    "set API_KEY=<your key here> in the .env file",
    "top secret: the launch is Monday",
    "the bearer of this laptop is on leave",
    "which token should I use?",
    "max_tokens=4096",
    "token limit: 4096",
    "I asked about the risk-assessment form",
    "ghp_ tokens are GitHub classic tokens",
    "Click the 'API keys' page in the console",
    "asia-east1 is the region",
]

CONNECTION_STRINGS = [
    ("postgres://user:secret@host/db", "postgres://user:[masked password]@host/db"),
    ("https://user:pass@host", "https://user:[masked password]@host"),
    (
        "mongodb+srv://admin:Pa55w0rd@cluster0.example.net/test",
        "mongodb+srv://admin:[masked password]@cluster0.example.net/test",
    ),
    ("redis://:s3cr3t@cache:6379/0", "redis://:[masked password]@cache:6379/0"),
]

URLS_WITHOUT_PASSWORDS = [
    "https://intranet.example.com:8443/helpdesk",
    "http://localhost:8080/path@latest",
    "ssh://git@github.com/org/repo.git",
    "mailto:jane@example.com",
]

PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0"

PRIVATE_KEYS = [
    (
        "here it is:\n-----BEGIN RSA PRIVATE KEY-----\n"
        f"{PEM_BODY}\n-----END RSA PRIVATE KEY-----\nthanks",
        f"here it is:\n{MASKED_PRIVATE_KEY}\nthanks",
    ),
    (
        f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}\n-----END EC PRIVATE KEY-----",
        MASKED_PRIVATE_KEY,
    ),
    (
        f"key: -----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n"
        "-----END OPENSSH PRIVATE KEY----- is that right?",
        f"key: {MASKED_PRIVATE_KEY} is that right?",
    ),
    (
        f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{PEM_BODY}\n-----END ENCRYPTED PRIVATE KEY-----",
        MASKED_PRIVATE_KEY,
    ),
    (
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n",
        f"{MASKED_PRIVATE_KEY}\n",
    ),
    (
        f"the key got cut off: -----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}",
        f"the key got cut off: {MASKED_PRIVATE_KEY}",
    ),
    (
        f"-----BEGIN PRIVATE KEY----- {PEM_BODY.replace(chr(10), ' ')} -----END PRIVATE KEY-----",
        MASKED_PRIVATE_KEY,
    ),
]

NOT_PRIVATE_KEYS = [
    f"-----BEGIN PUBLIC KEY-----\n{PEM_BODY}\n-----END PUBLIC KEY-----",
    f"-----BEGIN CERTIFICATE-----\n{PEM_BODY}\n-----END CERTIFICATE-----",
    "my private key is on the smart card",
]

CARD_NUMBERS = [
    ("card 4111 1111 1111 1111 exp 12/27", f"card {MASKED_CARD} exp 12/27"),
    ("4111111111111111", MASKED_CARD),
    ("mastercard 5500-0000-0000-0004", f"mastercard {MASKED_CARD}"),
    ("amex 3782 822463 10005", f"amex {MASKED_CARD}"),
    ("amex 378282246310005.", f"amex {MASKED_CARD}."),
    ("discover 6011111111111117", f"discover {MASKED_CARD}"),
    ("diners 3056 930902 5904", f"diners {MASKED_CARD}"),
    ("old visa 4222222222222", f"old visa {MASKED_CARD}"),
    ("19 digits 6011 0000 0000 0000 001", f"19 digits {MASKED_CARD}"),
    ("4111 1111 1111 1111 12/27 123", f"{MASKED_CARD} 12/27 123"),
    (
        "卡号4111111111111111\N{FULLWIDTH COMMA}有效期12/27",
        f"卡号{MASKED_CARD}\N{FULLWIDTH COMMA}有效期12/27",
    ),
]

NUMBERS_THAT_ARE_NOT_CARDS = [
    "call me on +1 415 555 0132",
    "my UK number is +44 20 7946 0958",
    "desk phone (415) 555-0132 ext 4411",
    "see ticket HD-1042",
    "it started on 2026-03-14 at 09:30",
    "my IP is 192.168.10.254",
    "Windows version 10.0.19045.3930",
    "order 1234567890123 is stuck",
    "card 4111 1111 1111 1112 was declined",
    "reference 41111111111111110000",
    "serial 411 111 111 111 1111",
    "account 4111 111111 111111",
    "latency 0.4111111111111111 s",
    "serial SN4111111111111111",
    "build 4111111111111111abcd",
    "0000 0000 0000 0000",
    "placeholder 8888 8888 8888 8888",
    "tracking 0123 4567 8901 2347",
    "4111-1111 1111-1111",
]

LONG_ORDINARY_MESSAGE = (
    "Hi team, since this morning my laptop cannot connect to the VPN from home. I tried "
    "restarting it twice and the password prompt keeps coming back after I type it, so I think "
    "my password is expired or the account is locked. Ticket HD-1042 was about the same issue "
    "last week. I am on Windows version 10.0.19045.3930, the router is at 192.168.1.1 and my "
    "phone is +1 415 555 0132 if you want to call. The error log says: "
    "2026-03-14 09:30:12 ERROR vpn-agent[4412]: handshake failed (code 809), retrying in 30s. "
    "密码过期了吗\N{FULLWIDTH QUESTION MARK}请帮我看一下。 "
) * 8


def _assert_masked_as(text: str, expected: str, kind: str) -> None:
    actual = mask_credentials(text)

    assert actual == Masked(text=expected, kinds=(kind,))


@pytest.mark.parametrize(("text", "expected"), PASSWORDS_IN_WORDS)
def test_password_given_in_words_is_masked_and_the_words_stay(text: str, expected: str) -> None:
    _assert_masked_as(text, expected, PASSWORD)


@pytest.mark.parametrize("text", SENTENCES_ABOUT_PASSWORDS)
def test_sentence_about_a_password_comes_back_unchanged(text: str) -> None:
    actual = mask_credentials(text)

    assert actual == Masked(text=text, kinds=())


@pytest.mark.parametrize(("text", "expected", "kind"), KNOWN_SHAPES)
def test_key_or_token_of_a_known_shape_is_masked(text: str, expected: str, kind: str) -> None:
    _assert_masked_as(text, expected, kind)


@pytest.mark.parametrize(("text", "expected", "kind"), ASSIGNMENTS)
def test_generic_key_assignment_is_masked(text: str, expected: str, kind: str) -> None:
    _assert_masked_as(text, expected, kind)


@pytest.mark.parametrize("text", WORDS_THAT_ARE_NOT_KEYS)
def test_words_about_keys_and_placeholders_are_not_masked(text: str) -> None:
    actual = mask_credentials(text)

    assert actual == Masked(text=text, kinds=())


@pytest.mark.parametrize(("text", "expected"), CONNECTION_STRINGS)
def test_only_the_password_of_a_connection_string_is_masked(text: str, expected: str) -> None:
    _assert_masked_as(text, expected, PASSWORD)


@pytest.mark.parametrize("text", URLS_WITHOUT_PASSWORDS)
def test_url_without_a_password_is_not_masked(text: str) -> None:
    actual = mask_credentials(text)

    assert actual == Masked(text=text, kinds=())


@pytest.mark.parametrize(("text", "expected"), PRIVATE_KEYS)
def test_private_key_block_is_masked_whole(text: str, expected: str) -> None:
    _assert_masked_as(text, expected, PRIVATE_KEY)


@pytest.mark.parametrize("text", NOT_PRIVATE_KEYS)
def test_public_material_is_not_masked_as_a_private_key(text: str) -> None:
    actual = mask_credentials(text)

    assert actual == Masked(text=text, kinds=())


@pytest.mark.parametrize(("text", "expected"), CARD_NUMBERS)
def test_card_number_is_masked(text: str, expected: str) -> None:
    _assert_masked_as(text, expected, CARD_NUMBER)


@pytest.mark.parametrize("text", NUMBERS_THAT_ARE_NOT_CARDS)
def test_number_that_is_not_a_card_is_not_masked(text: str) -> None:
    actual = mask_credentials(text)

    assert actual == Masked(text=text, kinds=())


def test_kinds_are_unique_and_sorted() -> None:
    text = (
        "token=Zm9vYmFyYmF6MTIz and pwd=abc123xyz, card 4111 1111 1111 1111, "
        "again token=Q2hhbmdlZDEyMw and PIN: 4821"
    )

    actual = mask_credentials(text)

    expected = Masked(
        text=(
            f"token={MASKED_TOKEN} and pwd={MASKED_PASSWORD}, card {MASKED_CARD}, "
            f"again token={MASKED_TOKEN} and PIN: {MASKED_PASSWORD}"
        ),
        kinds=(CARD_NUMBER, PASSWORD, TOKEN),
    )
    assert actual == expected


def test_a_specific_shape_wins_over_the_word_before_it() -> None:
    actual = mask_credentials("password: ghp_16C7e42F292c6912E7710c838347Ae178B4a")

    assert actual == Masked(text=f"password: {MASKED_TOKEN}", kinds=(TOKEN,))


def test_a_private_key_is_masked_whole_with_everything_inside_it() -> None:
    text = (
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n"
        "password: Hunter2 4111 1111 1111 1111\n-----END RSA PRIVATE KEY-----"
    )

    actual = mask_credentials(text)

    assert actual == Masked(text=MASKED_PRIVATE_KEY, kinds=(PRIVATE_KEY,))


def test_kind_constants_are_the_documented_names() -> None:
    actual = (PASSWORD, API_KEY, TOKEN, PRIVATE_KEY, CARD_NUMBER)

    assert actual == ("password", "api_key", "token", "private_key", "card_number")


@pytest.mark.parametrize(
    "text",
    [case[0] for case in PASSWORDS_IN_WORDS + CONNECTION_STRINGS + PRIVATE_KEYS + CARD_NUMBERS]
    + [case[0] for case in KNOWN_SHAPES + ASSIGNMENTS],
)
def test_masking_a_masked_text_again_changes_nothing(text: str) -> None:
    once = mask_credentials(text).text

    actual = mask_credentials(once)

    assert actual == Masked(text=once, kinds=())


def test_masked_result_cannot_be_changed() -> None:
    masked = mask_credentials("PIN: 4821")

    with pytest.raises(dataclasses.FrozenInstanceError):
        masked.text = "PIN: 4821"  # type: ignore[misc]


def test_empty_text_comes_back_empty() -> None:
    actual = mask_credentials("")

    assert actual == Masked(text="", kinds=())


def test_long_ordinary_message_comes_back_unchanged() -> None:
    text = LONG_ORDINARY_MESSAGE[:4000]

    actual = mask_credentials(text)

    assert actual == Masked(text=text, kinds=())
