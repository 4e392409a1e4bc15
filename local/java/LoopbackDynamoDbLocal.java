import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local bound to the loopback interface only. The jar's own main has no host flag: its
 * Jetty server is built with `new Server(port)`, whose connector listens on every interface. This
 * launcher builds the same server from the same command line, sets the connector's host to
 * 127.0.0.1 before it starts, and refuses to start when no connector could be pinned.
 * Run in source-file mode: java -cp DynamoDBLocal.jar LoopbackDynamoDbLocal.java <jar args>.
 */
public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    int pinned = 0;
    for (Connector connector : jetty.getConnectors()) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("unexpected connector " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost("127.0.0.1");
      pinned += 1;
    }
    if (pinned == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind to loopback");
    proxy.start();
  }
}
