"""MQTT: the lean 3.1.1 client, the private broker, publishers, subscribers, topics and the wire format."""
