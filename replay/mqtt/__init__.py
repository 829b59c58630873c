"""MQTT: the lean 3.1.1 client, the private broker, publishers, subscribers, topics and the wire format.

Names are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from topology.exports import lazy_exports

if TYPE_CHECKING:
    from replay.mqtt.broker import BrokerError, BrokerInfo, embedded_broker, parse_broker_url
    from replay.mqtt.client import ConnectionRefused, MqttConnection, MqttError, open_connection
    from replay.mqtt.publisher import Publisher
    from replay.mqtt.subscriber import Subscriber
    from replay.mqtt.topics import TopicError, is_valid_ri, post_client_id, post_topic, ri_of_topic
    from replay.mqtt.wire import Submission, Transmission, WireError

#: Each exported name and the module it comes from.
EXPORTS: dict[str, str] = {
    "ConnectionRefused": "replay.mqtt.client",
    "MqttConnection": "replay.mqtt.client",
    "MqttError": "replay.mqtt.client",
    "open_connection": "replay.mqtt.client",
    "BrokerError": "replay.mqtt.broker",
    "BrokerInfo": "replay.mqtt.broker",
    "embedded_broker": "replay.mqtt.broker",
    "parse_broker_url": "replay.mqtt.broker",
    "Publisher": "replay.mqtt.publisher",
    "Subscriber": "replay.mqtt.subscriber",
    "TopicError": "replay.mqtt.topics",
    "is_valid_ri": "replay.mqtt.topics",
    "post_client_id": "replay.mqtt.topics",
    "post_topic": "replay.mqtt.topics",
    "ri_of_topic": "replay.mqtt.topics",
    "Submission": "replay.mqtt.wire",
    "Transmission": "replay.mqtt.wire",
    "WireError": "replay.mqtt.wire",
}

__all__ = [
    "BrokerError",
    "BrokerInfo",
    "ConnectionRefused",
    "MqttConnection",
    "MqttError",
    "Publisher",
    "Submission",
    "Subscriber",
    "TopicError",
    "Transmission",
    "WireError",
    "embedded_broker",
    "is_valid_ri",
    "open_connection",
    "parse_broker_url",
    "post_client_id",
    "post_topic",
    "ri_of_topic",
]

__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)
