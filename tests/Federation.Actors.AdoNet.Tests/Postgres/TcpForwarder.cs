using System.Net;
using System.Net.Sockets;

namespace Federation.Actors.AdoNet.Tests.Postgres;

/// <summary>
/// A loopback TCP forwarder in front of the test server, to stage an outage without stopping the shared
/// PostgreSQL: <see cref="Cut"/> closes every forwarded connection and makes new ones close on accept
/// (the client sees the server go away); <see cref="Restore"/> forwards again.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private bool _down;

    public TcpForwarder(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Closes every forwarded connection; until <see cref="Restore"/>, new ones are closed at once.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _down = true;
            foreach (var client in _open)
            {
                client.Client.Close(0);
            }

            _open.Clear();
        }
    }

    public void Restore()
    {
        lock (_gate)
        {
            _down = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // The accept loop ends by cancellation.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient incoming;
            try
            {
                incoming = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(incoming);
        }
    }

    private async Task ForwardAsync(TcpClient incoming)
    {
        var outgoing = new TcpClient();
        lock (_gate)
        {
            if (_down)
            {
                incoming.Client.Close(0);
                outgoing.Dispose();
                return;
            }

            _open.Add(incoming);
            _open.Add(outgoing);
        }

        try
        {
            await outgoing.ConnectAsync(_targetHost, _targetPort);
            var up = incoming.GetStream().CopyToAsync(outgoing.GetStream());
            var down = outgoing.GetStream().CopyToAsync(incoming.GetStream());
            await Task.WhenAny(up, down);
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // A cut connection ends its copies with one of these.
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(incoming);
                _open.Remove(outgoing);
            }

            incoming.Dispose();
            outgoing.Dispose();
        }
    }
}
