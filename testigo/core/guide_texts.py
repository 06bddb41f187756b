"""The default texts of the security guides, in Spanish and English, as Markdown.

They ship in the code so a fresh install has them; administrators may replace them from the
console (core.guides). Written from the advice of digital-security trainers (EFF's
Surveillance Self-Defense, Access Now's Digital Security Helpline, Tactical Tech's Holistic
Security): short sections, one action per line, nothing that needs a technical word explained.
Headings start at level 2 (##): the page's title is its level-1 heading.
"""

from __future__ import annotations

REPORTING_SAFELY_ES = """\
Antes de enviar un reporte, piense un momento en quién podría enterarse y cómo. Estas guías le ayudan a reportar sin exponerse.

## Lo que guardamos y lo que mostramos

- **Su nombre y su contacto son opcionales.** Si los deja, solo los ve el equipo que revisa los reportes; nunca aparecen en el mapa público.
- **No guardamos su dirección IP** ni datos de su navegador cuando envía un reporte desde la web.
- **El lugar exacto solo lo ve el equipo.** Si el reporte se publica, el mapa muestra un área aproximada.
- **Las fotos se limpian al subirlas:** quitamos la ubicación GPS, la fecha y el modelo del teléfono que llevan escondidos. Pero la foto original que quedó en su teléfono todavía los tiene: vea la guía sobre fotos.
- Antes de publicar, el equipo revisa cada reporte y puede ocultar nombres y datos personales.

## Lo que usted puede hacer

- **Cuide los detalles que solo usted conoce.** Un detalle muy preciso (lo que usted vio desde su ventana, una conversación a la que solo usted asistió) puede delatarle aunque no ponga su nombre.
- **Elija el momento y el lugar.** Reporte cuando nadie mire su pantalla; si puede, desde un lugar distinto al de los hechos.
- **Use el canal adecuado.** Si reportar le pone en peligro, use el buzón anónimo con Tor Browser en lugar del SMS o del formulario.
- **Borre el rastro en su teléfono:** mensajes enviados, fotos originales, historial del navegador. Vea las guías sobre SMS y teléfonos compartidos.

## Si está en peligro ahora

Este sitio no es un servicio de emergencia. Si su vida o la de otra persona corre peligro, busque primero ayuda inmediata.

Para ayuda con su seguridad digital, la Línea de Ayuda en Seguridad Digital de Access Now atiende en español, gratis, a organizaciones y activistas: [accessnow.org/help](https://www.accessnow.org/help/). Más consejos en [Autodefensa contra la Vigilancia (EFF)](https://ssd.eff.org/es).
"""

REPORTING_SAFELY_EN = """\
Before you send a report, think for a moment about who could find out and how. These guides help you report without exposing yourself.

## What we keep and what we show

- **Your name and contact are optional.** If you give them, only the team that reviews reports sees them; they never appear on the public map.
- **We do not store your IP address** or anything about your browser when you send a report from the web.
- **Only the team sees the exact place.** If the report is published, the map shows an approximate area.
- **Photos are cleaned when you upload them:** we remove the hidden GPS location, date and phone model. But the original photo on your phone still has them: see the guide on photos.
- Before publishing, the team reviews every report and can hide names and personal details.

## What you can do

- **Watch the details only you know.** A very precise detail (what you saw from your window, a conversation only you were part of) can give you away even without your name.
- **Choose the time and place.** Report when nobody is looking at your screen; if you can, from somewhere other than where it happened.
- **Use the right channel.** If reporting puts you in danger, use the anonymous tip line with Tor Browser instead of SMS or the form.
- **Clear the trail on your phone:** sent messages, original photos, browser history. See the guides on SMS and shared phones.

## If you are in danger now

This site is not an emergency service. If your life or someone else's is at risk, get immediate help first.

For help with your digital security, Access Now's Digital Security Helpline answers civil-society organisations and activists for free, in Spanish and English: [accessnow.org/help](https://www.accessnow.org/help/). More advice in [Surveillance Self-Defense (EFF)](https://ssd.eff.org/).
"""

PHOTOS_ES = """\
Cada foto que toma un teléfono guarda datos escondidos (los «metadatos»): muchas veces **la ubicación GPS exacta**, la fecha y hora, y la marca y modelo del teléfono.

## Lo que hace este sitio

Cuando usted sube una foto, la volvemos a codificar y quitamos esos datos antes de guardarla. **Pero la foto original sigue en su teléfono con todos sus datos**, y también en las copias que su teléfono haya subido a la nube (Google Fotos, iCloud).

## Antes de tomar la foto

- Apague la ubicación de la cámara: en Android, en la app Cámara, opción *Etiquetas de ubicación* o *Guardar ubicación*; en iPhone, *Configuración > Privacidad y seguridad > Localización > Cámara > Nunca*.
- No tome fotos si eso le pone en riesgo. Su seguridad vale más que la prueba.

## Antes de enviarla por otro medio

- **Signal** y **WhatsApp** quitan la ubicación de las fotos enviadas como foto, pero **no** de las enviadas como *documento* o *archivo*.
- Por correo electrónico o como archivo adjunto, la foto viaja con todos sus datos.
- En iPhone, al compartir, toque *Opciones* y apague *Ubicación*.
- Una captura de pantalla de la foto no lleva la ubicación GPS de la foto original.

## Lo que se ve en la foto

Los metadatos no son lo único que delata. Mire la foto como la miraría alguien que quiere encontrarle:

- caras, tatuajes, ropa, placas de vehículos, uniformes;
- reflejos en ventanas, espejos o lentes;
- una vista que solo se tiene desde su casa o su trabajo.

Signal tiene una herramienta para difuminar caras antes de enviar una foto.

## Después de enviarla

- Borre la foto original de la galería **y** de la carpeta *Eliminados recientemente* o *Papelera* (guardan las fotos hasta 30 o 60 días).
- Bórrela también de la copia en la nube si su teléfono la subió.
"""

PHOTOS_EN = """\
Every photo a phone takes carries hidden data (its “metadata”): often **the exact GPS location**, the date and time, and the make and model of the phone.

## What this site does

When you upload a photo we re-encode it and remove that data before storing it. **But the original photo is still on your phone with all its data**, and in any copy your phone uploaded to the cloud (Google Photos, iCloud).

## Before taking the photo

- Turn off location for the camera: on Android, in the Camera app, the *Location tags* or *Save location* option; on iPhone, *Settings > Privacy & Security > Location Services > Camera > Never*.
- Do not take photos if doing so puts you at risk. Your safety matters more than the evidence.

## Before sending it some other way

- **Signal** and **WhatsApp** remove the location from photos sent as a photo, but **not** from photos sent as a *document* or *file*.
- By e-mail or as an attachment, the photo travels with all its data.
- On iPhone, when sharing, tap *Options* and turn off *Location*.
- A screenshot of the photo does not carry the original photo's GPS location.

## What the photo shows

Metadata is not the only thing that gives you away. Look at the photo as someone trying to find you would:

- faces, tattoos, clothes, number plates, uniforms;
- reflections in windows, mirrors or glasses;
- a view that can only be seen from your home or workplace.

Signal has a tool to blur faces before you send a photo.

## After sending it

- Delete the original from the gallery **and** from the *Recently deleted* or *Bin* folder (they keep photos for up to 30 or 60 days).
- Delete it from the cloud backup too, if your phone uploaded it.
"""

MESSAGING_ES = """\
Si nos escribe por Signal o WhatsApp, el contenido de los mensajes va cifrado de extremo a extremo: la empresa no puede leerlo. Pero los mensajes quedan en **su** teléfono y en el nuestro, y alguien que tome su teléfono puede leerlos.

## Habilite los mensajes temporales

Los mensajes temporales se borran solos de los dos teléfonos después del tiempo que usted elija.

- **Signal:** en el chat, toque el nombre del contacto > *Mensajes temporales* y elija un tiempo (por ejemplo 1 día). Para todos los chats nuevos: *Ajustes > Privacidad > Temporizador predeterminado*.
- **WhatsApp:** en el chat, toque el nombre del contacto > *Mensajes temporales* (24 horas, 7 días o 90 días). Para todos los chats nuevos: *Ajustes > Privacidad > Temporizador predeterminado*.

Tenga en cuenta sus límites: la otra persona puede hacer una captura de pantalla o reenviar el mensaje, y en WhatsApp las fotos pueden quedar guardadas en la galería. En WhatsApp, apague *Visibilidad de archivos multimedia* en ese chat.

## Proteja su cuenta

- **Signal:** active el *Bloqueo de registro* (*Ajustes > Cuenta*) y elija un PIN. Así nadie puede registrar su número en otro teléfono. Con un *nombre de usuario* puede conversar sin dar su número, y en *Ajustes > Privacidad > Número de teléfono* puede elegir que nadie lo vea.
- **WhatsApp:** active la *Verificación en dos pasos* (*Ajustes > Cuenta*).
- Revise de vez en cuando los *Dispositivos vinculados* y desconecte los que no reconozca.

## Las copias de seguridad

Las copias de seguridad de WhatsApp en Google Drive o iCloud guardan sus chats fuera del teléfono. Habilite la *Copia de seguridad cifrada de extremo a extremo* (*Ajustes > Chats > Copia de seguridad*) o apague la copia de seguridad.

## Lo que la empresa sí ve

WhatsApp (Meta) no lee los mensajes, pero sí sabe su número, con quién habla y cuándo. Signal guarda casi nada de eso. Si ese dato ya es un riesgo para usted, use Signal o el buzón anónimo.
"""

MESSAGING_EN = """\
If you write to us on Signal or WhatsApp, the content of your messages is end-to-end encrypted: the company cannot read it. But the messages stay on **your** phone and on ours, and someone who takes your phone can read them.

## Turn on disappearing messages

Disappearing messages delete themselves from both phones after the time you choose.

- **Signal:** in the chat, tap the contact's name > *Disappearing messages* and choose a time (for example 1 day). For every new chat: *Settings > Privacy > Default timer for new chats*.
- **WhatsApp:** in the chat, tap the contact's name > *Disappearing messages* (24 hours, 7 days or 90 days). For every new chat: *Settings > Privacy > Default message timer*.

Know their limits: the other person can take a screenshot or forward the message, and WhatsApp may keep photos in the gallery. In WhatsApp, turn off *Media visibility* for that chat.

## Protect your account

- **Signal:** turn on *Registration Lock* (*Settings > Account*) and choose a PIN. Then nobody can register your number on another phone. With a *username* you can chat without giving your number, and in *Settings > Privacy > Phone number* you can choose that nobody sees it.
- **WhatsApp:** turn on *Two-step verification* (*Settings > Account*).
- Check your *Linked devices* now and then and disconnect any you do not recognise.

## Backups

WhatsApp backups to Google Drive or iCloud keep your chats off the phone. Turn on the *End-to-end encrypted backup* (*Settings > Chats > Chat backup*) or turn backups off.

## What the company does see

WhatsApp (Meta) does not read messages, but it knows your number, who you talk to and when. Signal keeps almost none of that. If that alone is a risk for you, use Signal or the anonymous tip line.
"""

SMS_ES = """\
El SMS funciona en cualquier teléfono, pero **no está cifrado**: la compañía telefónica puede leer el mensaje y guarda un registro de qué número escribió a cuál, cuándo y desde qué antena.

## Al enviar

- No ponga su nombre ni el de otras personas si no hace falta. Describa lo que pasó, dónde y cuándo.
- Nosotros vemos su número de teléfono, pero solo el equipo; nunca se muestra en el mapa ni en la página pública del reporte.
- Si reportar desde su número le pone en peligro, use el buzón anónimo con Tor Browser.

## Después de enviar

- **Borre el mensaje que envió y también nuestra respuesta.** Quien revise su teléfono no debe encontrar la conversación.
- Si su teléfono guarda copias de los SMS en la nube (la copia de seguridad de Google, o Mensajes en iCloud), la copia puede conservarlos un tiempo después de borrarlos: revise esa copia.
- No guarde nuestro número como contacto con un nombre que nos identifique; si lo guarda, use un nombre neutro.

## Alertas por SMS

Si recibe nuestras alertas, también puede borrarlas después de leerlas. Para dejar de recibirlas, envíe BAJA (o STOP) en cualquier momento.
"""

SMS_EN = """\
SMS works on any phone, but it is **not encrypted**: the phone company can read the message and keeps a record of which number wrote to which, when, and from which mast.

## When sending

- Do not put your name or other people's names unless needed. Describe what happened, where and when.
- We see your phone number, but only the team does; it is never shown on the map or on the report's public page.
- If reporting from your number puts you in danger, use the anonymous tip line with Tor Browser.

## After sending

- **Delete the message you sent and our reply too.** Whoever checks your phone should not find the conversation.
- If your phone keeps copies of SMS in the cloud (Google's backup, or Messages in iCloud), the copy may keep them for a while after you delete them: check that copy.
- Do not save our number as a contact under a name that identifies us; if you save it, use a neutral name.

## SMS alerts

If you receive our alerts, you can delete them after reading too. To stop them, send STOP (or BAJA) at any time.
"""

TIPLINE_ES = """\
El buzón anónimo es para quien estaría en peligro si se supiera que nos escribió. No guardamos su dirección IP ni nada de su conexión, y lo que escribe se cifra en cuanto lo envía. Lo demás depende de cómo se conecta.

## Use Tor Browser

- Descargue Tor Browser **solo** desde [torproject.org](https://www.torproject.org/es/download/). En Android existe Tor Browser en la tienda de apps; en iPhone, use Onion Browser. Si la página está bloqueada en su país, escriba a gettor@torproject.org para recibir un enlace.
- Tor oculta a su compañía de internet qué sitios visita, y oculta a los sitios desde dónde se conecta.
- Ponga el nivel de seguridad en **«El más seguro»** (*Safest*): el escudo en la barra de herramientas; en Android, en la configuración, *Nivel de seguridad*. El buzón funciona sin JavaScript.
- Si este sitio tiene una dirección .onion, úsela: así su conexión nunca sale de la red Tor.

## Elija el dispositivo y la red

- No use un computador o teléfono del trabajo, ni una red que vigile su empleador o su escuela.
- No le cuente a nadie que envió un mensaje.

## Su nombre en clave

- Al enviar, recibe un nombre en clave de **siete palabras**. Es la única forma de leer nuestras respuestas, y no podemos recuperarlo.
- **Escríbalo en papel** y guárdelo en un lugar seguro. No lo guarde en las notas del teléfono, en una foto ni en un chat.
- Vuelva a leer las respuestas con Tor Browser, y cierre la sesión y el navegador al terminar.

## Los archivos que adjunta

Quitamos los datos escondidos de fotos y documentos, pero el contenido puede delatarle: un documento que solo unas pocas personas tenían, un nombre en el texto, una foto tomada desde su ventana. Piense quién más pudo tener ese archivo.
"""

TIPLINE_EN = """\
The anonymous tip line is for people who would be in danger if anyone knew they wrote to us. We keep no IP address and nothing about your connection, and what you write is encrypted as soon as you send it. The rest depends on how you connect.

## Use Tor Browser

- Download Tor Browser **only** from [torproject.org](https://www.torproject.org/download/). On Android, Tor Browser is in the app store; on iPhone, use Onion Browser. If the site is blocked in your country, write to gettor@torproject.org to get a link.
- Tor hides from your internet provider which sites you visit, and hides from the sites where you connect from.
- Set the security level to **“Safest”**: the shield in the toolbar; on Android, *Security level* in the settings. The tip line works without JavaScript.
- If this site has a .onion address, use it: your connection then never leaves the Tor network.

## Choose the device and network

- Do not use a work computer or phone, or a network your employer or school monitors.
- Do not tell anyone you sent a tip.

## Your codename

- When you send, you get a codename of **seven words**. It is the only way to read our replies, and we cannot recover it.
- **Write it on paper** and keep it somewhere safe. Do not keep it in your phone's notes, a photo or a chat.
- Come back to read replies with Tor Browser, and log out and close the browser when you finish.

## Files you attach

We remove the hidden data from photos and documents, but the content can give you away: a document only a few people had, a name in the text, a photo taken from your window. Think about who else could have had that file.
"""

SHARED_PHONES_ES = """\
Si comparte el teléfono con su familia, o si alguien podría revisarlo o quitárselo (en un retén, una detención o en casa), lo que hay en él puede delatarle.

## Bloqueo de pantalla

- Use un PIN de 6 dígitos o más, o una contraseña. Un patrón se adivina mirando por encima del hombro o por las marcas en la pantalla.
- Con el bloqueo de pantalla activado, los teléfonos Android e iPhone recientes cifran todo su contenido.
- La huella o la cara pueden usarse contra su voluntad. Antes de una situación de riesgo, bloquee el teléfono para que pida el PIN: en iPhone, mantenga presionados el botón lateral y un botón de volumen; en Android, use la opción *Bloqueo* del menú de apagado (actívela en los ajustes de la pantalla de bloqueo si no aparece).
- Oculte el contenido de las notificaciones en la pantalla de bloqueo.

## Al reportar desde un teléfono compartido

- Use una ventana privada o de incógnito del navegador y ciérrela al terminar.
- Si no la usó, borre el historial y las páginas de este sitio.
- Borre los SMS y chats enviados, y las fotos originales (también de la papelera).
- Revise qué apps tienen acceso a sus mensajes, ubicación y fotos, y desinstale las que no reconozca: hay apps de espionaje que se instalan a escondidas.

## Si le quitan o revisan el teléfono

- Desde otro dispositivo, cambie las contraseñas de su correo y sus cuentas, y cierre las sesiones abiertas en otros dispositivos.
- En Signal y WhatsApp, revise los *Dispositivos vinculados*.
- Si envió un reporte con su contacto y cree que eso le pone en peligro, avísenos por un canal seguro.
- Pida ayuda: la Línea de Ayuda en Seguridad Digital de Access Now atiende en español ([accessnow.org/help](https://www.accessnow.org/help/)).
"""

SHARED_PHONES_EN = """\
If you share your phone with your family, or if someone could check it or take it from you (at a checkpoint, an arrest or at home), what is on it can give you away.

## Screen lock

- Use a PIN of 6 digits or more, or a password. A pattern can be guessed by looking over your shoulder or from the smudges on the screen.
- With a screen lock on, recent Android phones and iPhones encrypt everything on them.
- A fingerprint or face can be used against your will. Before a risky situation, lock the phone so that it asks for the PIN: on iPhone, hold the side button and a volume button; on Android, use the *Lockdown* option of the power menu (turn it on in the lock-screen settings if it is not there).
- Hide the content of notifications on the lock screen.

## When reporting from a shared phone

- Use a private or incognito browser window and close it when you finish.
- If you did not, delete the history and this site's pages.
- Delete sent SMS and chats, and the original photos (from the bin too).
- Check which apps can reach your messages, location and photos, and uninstall those you do not recognise: some spying apps install themselves in secret.

## If your phone is taken or checked

- From another device, change the passwords of your e-mail and accounts, and log out of sessions on other devices.
- In Signal and WhatsApp, check the *Linked devices*.
- If you sent a report with your contact details and think that puts you in danger, tell us through a safe channel.
- Get help: Access Now's Digital Security Helpline answers in Spanish and English ([accessnow.org/help](https://www.accessnow.org/help/)).
"""

ACCOUNT_SECURITY_ES = """\
Su cuenta da acceso a los reportes, los contactos de quienes reportan y, si tiene permiso, al buzón anónimo. Protegerla es proteger a esas personas.

## Verificación en dos pasos

- Habilite la verificación en dos pasos en [su página de verificación en dos pasos](/console/2fa/), con una app de autenticación (por ejemplo Aegis en Android, Ente Auth, o la de su gestor de contraseñas).
- Imprima o anote los códigos de recuperación y guárdelos fuera del computador.
- Si pierde el teléfono con la app, avise a un administrador: puede restablecer su verificación en dos pasos.

## Contraseña

- Use una frase larga y única (cuatro o más palabras al azar), que no use en ningún otro sitio.
- Use un gestor de contraseñas como KeePassXC o Bitwarden.

## Suplantación de identidad (phishing)

- Nunca le pediremos su contraseña ni un código por correo, SMS o teléfono.
- Antes de escribir su contraseña, mire la barra de direcciones: debe ser la dirección de este sitio, con el candado.
- Desconfíe de los mensajes urgentes ("su cuenta será cerrada", "revise este documento ya"), incluso si parecen venir de un colega. Confirme por otro canal.
- No abra adjuntos inesperados. Si hizo clic en algo raro, avise al administrador y cambie su contraseña.

## Cifrado del dispositivo

- Habilite el cifrado del disco: BitLocker (Windows), FileVault (macOS) o LUKS (Linux). En Android y iPhone basta con un bloqueo de pantalla con PIN.
- Bloqueo automático de pantalla a los pocos minutos, y actualizaciones del sistema al día.
- Las exportaciones con datos personales se guardan solo en dispositivos cifrados y se borran cuando ya no hacen falta.

## Computadores compartidos

- No entre a la consola desde un computador compartido o un cibercafé.
- Si no tiene otra opción: ventana privada, nunca "recordar contraseña", cierre sesión y cierre el navegador.
- Cierre sesión cuando se aleje: mientras tiene la sesión abierta, la llave del buzón anónimo está abierta.

## Si pierde un dispositivo o sospecha algo

Avise a un administrador de inmediato: puede desactivar su cuenta y restablecer su verificación en dos pasos. La Línea de Ayuda en Seguridad Digital de Access Now atiende a organizaciones en español, todos los días ([accessnow.org/help](https://www.accessnow.org/help/)).
"""

ACCOUNT_SECURITY_EN = """\
Your account opens the reports, the contacts of the people who report and, if you have access, the anonymous tip line. Protecting it protects them.

## Two-factor login

- Turn on two-factor login on [your two-factor login page](/console/2fa/), with an authenticator app (for example Aegis on Android, Ente Auth, or your password manager's).
- Print or write down the recovery codes and keep them away from the computer.
- If you lose the phone with the app, tell an administrator: they can reset your two-factor login.

## Password

- Use a long, unique passphrase (four or more random words) that you use nowhere else.
- Use a password manager such as KeePassXC or Bitwarden.

## Phishing

- We will never ask for your password or a code by e-mail, SMS or phone.
- Before typing your password, look at the address bar: it must be this site's address, with the padlock.
- Distrust urgent messages ("your account will be closed", "check this document now"), even when they seem to come from a colleague. Confirm through another channel.
- Do not open unexpected attachments. If you clicked something odd, tell the administrator and change your password.

## Device encryption

- Turn on disk encryption: BitLocker (Windows), FileVault (macOS) or LUKS (Linux). On Android and iPhone a screen lock with a PIN is enough.
- Automatic screen lock after a few minutes, and system updates kept current.
- Exports with personal data are kept only on encrypted devices and deleted when no longer needed.

## Shared computers

- Do not log in to the console from a shared computer or an internet café.
- If you have no choice: private window, never "remember password", log out and close the browser.
- Log out when you step away: while you are logged in, the tip line's key is open.

## If you lose a device or suspect something

Tell an administrator at once: they can deactivate your account and reset your two-factor login. Access Now's Digital Security Helpline answers organisations in Spanish and English, every day ([accessnow.org/help](https://www.accessnow.org/help/)).
"""

# slug -> language -> (title, body)
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "reporting-safely": {"es": ("Reportar con seguridad", REPORTING_SAFELY_ES),
                         "en": ("Reporting safely", REPORTING_SAFELY_EN)},
    "photos-and-metadata": {"es": ("Fotos: los datos escondidos", PHOTOS_ES),
                            "en": ("Photos: the hidden data", PHOTOS_EN)},
    "messaging-apps": {"es": ("Signal y WhatsApp: mensajes temporales", MESSAGING_ES),
                       "en": ("Signal and WhatsApp: disappearing messages", MESSAGING_EN)},
    "sms": {"es": ("Reportar por SMS", SMS_ES), "en": ("Reporting by SMS", SMS_EN)},
    "tip-line": {"es": ("El buzón anónimo y Tor Browser", TIPLINE_ES),
                 "en": ("The anonymous tip line and Tor Browser", TIPLINE_EN)},
    "shared-phones": {"es": ("Teléfonos compartidos o revisados", SHARED_PHONES_ES),
                      "en": ("Shared or searched phones", SHARED_PHONES_EN)},
    "account-security": {"es": ("Seguridad de su cuenta", ACCOUNT_SECURITY_ES),
                         "en": ("Account security", ACCOUNT_SECURITY_EN)},
}
