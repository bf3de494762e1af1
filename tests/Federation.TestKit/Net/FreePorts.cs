using System.Net;
using System.Net.Sockets;

namespace Federation.TestKit.Net;

/// <summary>
/// Loopback TCP ports no one listens on now, for the silo and gateway endpoints of servers a test starts (Orleans
/// needs to know its ports before it binds them, so it cannot take port 0). Ports are handed out once per process, so
/// tests running in parallel, and the silos of one test's cluster, never get the same one.
/// </summary>
public static class FreePorts
{
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    /// <summary>A port that was free a moment ago and that this process has not handed out before.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            while (true)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary><paramref name="count"/> ports, each as <see cref="Next"/> gives them.</summary>
    public static int[] Take(int count)
    {
        var ports = new int[count];
        for (var i = 0; i < count; i++)
        {
            ports[i] = Next();
        }

        return ports;
    }
}
