"""The demo SMSSync channel and a few SMS conversations played through the simulated phone."""

from __future__ import annotations

from testigo.channels import services as channel_services
from testigo.channels import simulate
from testigo.channels.models import Channel, InboundMessage
from testigo.core import roles
from testigo.demo import in_language

CHANNEL_TYPE = "smssync"
CHANNEL_NAME = "SMS demo (SMSSync)"
# Known, so that an Android phone running SMSSync can be pointed at the demo. A real deployment
# lets the console generate its secret.
DEMO_SECRET = "demo-smssync-secret"

# (phone, [(who, Spanish text, English text)]): who is "in" (the phone writes) or "staff" (a
# reply from the console). Numbers in +504 9000-00xx: nobody's.
CONVERSATIONS = [
    ("+50490000011", [("in", "ALERTA Kennedy", "ALERT Kennedy")]),
    ("+50490000012", [("in", "ALERTA Palmira", "ALERT Palmira")]),
    ("+50490000013", [
        ("in", "Hay una balacera cerca de la escuela de la colonia Kennedy, los niños están encerrados en las aulas",
         "Shooting near the school in colonia Kennedy, the children are locked in the classrooms"),
        ("staff", "Gracias por avisar. ¿Hay personas heridas? No se acerque a la zona hasta que pase.",
         "Thank you for telling us. Is anyone hurt? Stay away from the area until it is over."),
        ("in", "No vimos heridos. Ya llegó la policía y sacaron a los niños por la otra calle.",
         "We saw nobody hurt. The police arrived and took the children out by the other street."),
    ]),
    ("+50490000014", [("in", "AYUDA", "HELP")]),
]


def seed_channel() -> Channel:
    """The demo SMSSync channel, added through the channels service like the console does."""
    channel = Channel.objects.filter(type=CHANNEL_TYPE, name=CHANNEL_NAME).first()
    if channel is not None:
        return channel
    return channel_services.add_channel(actor=roles.SYSTEM, type_code=CHANNEL_TYPE, name=CHANNEL_NAME,
                                        config={"secret": DEMO_SECRET})


def seed_conversations(*, channel: Channel, staff=None) -> int:
    """Play the demo conversations through the simulated phone (once): subscriptions by ALERTA, a
    report by SMS with its automatic reply, a staff reply (when `staff` is given) and an answer.
    Returns how many messages the phones sent."""
    if InboundMessage.objects.filter(channel=channel).exists():
        return 0
    sent = 0
    for phone, steps in CONVERSATIONS:
        report = None
        for who, es, en in steps:
            text = in_language(es, en)
            if who == "in":
                message = simulate.simulate_inbound(actor=roles.SYSTEM, channel=channel, address=phone, text=text)
                report = message.report or report
                sent += 1
            elif staff is not None and report is not None:
                channel_services.reply(report=report, actor=staff, text=text)
    return sent
