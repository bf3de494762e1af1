using System.Net;
using System.Net.Sockets;

namespace Federation.Benchmarks;

/// <summary>
/// Free TCP ports on loopback for the silos and servers a benchmark starts: every run gets ports of its own, so it
/// collides neither with another run nor with a server on Orleans' default ports.
/// </summary>
internal static class FreePorts
{
    /// <summary>
    /// <paramref name="count"/> distinct ports the OS had free a moment ago. Every listener stays open until all are
    /// taken, so the OS cannot hand one port out twice within a call.
    /// </summary>
    public static int[] Take(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            var ports = new int[count];
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
                ports[i] = ((IPEndPoint)listeners[i].LocalEndpoint).Port;
            }

            return ports;
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener?.Stop();
            }
        }
    }
}
