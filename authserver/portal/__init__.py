"""The developer portal: pages where signed-in people register and manage their own apps."""
