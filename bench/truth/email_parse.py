"""Email parsing: 400 multipart messages (text, HTML, an attachment, encoded headers) made with email.mime, then
parsed back with email.parser under the default policy, walking every part."""
import email
import email.policy
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser


def make(i):
    msg = MIMEMultipart("mixed")
    msg["From"] = "Sender %d <sender%d@example.org>" % (i, i)
    msg["To"] = "Ünïcode Recipient <rcpt%d@example.org>" % i
    msg["Subject"] = "Report %d: état des lieux" % i
    msg.attach(MIMEText("Hello %d,\n\n%s\n" % (i, "line of text " * 40), "plain", "utf-8"))
    msg.attach(MIMEText("<p>Hello <b>%d</b></p>" % i, "html"))
    msg.attach(MIMEApplication(bytes(range(256)) * 4, Name="data-%d.bin" % i))
    return msg.as_bytes()


def main():
    blobs = [make(i) for i in range(400)]
    parser = BytesParser(policy=email.policy.default)
    parts = 0
    subjects = 0
    for blob in blobs:
        msg = parser.parsebytes(blob)
        subjects += len(str(msg["Subject"]))
        for part in msg.walk():
            if not part.is_multipart():
                parts += len(part.get_content())
    print("parsed", len(blobs), "messages,", parts, "bytes of content")


main()
