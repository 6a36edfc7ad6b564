using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bunker.Tests.Shared;

/// <summary>What the proxy does to one request.</summary>
public enum Fault { None, SlowDown503, Reset, Slow }

/// <summary>
/// An HTTP/1.1 reverse proxy on loopback in front of an S3-compatible server that breaks requests on purpose: 503
/// SlowDown answers, connections reset before any answer, answers held back past a client's timeout. Requests are
/// forwarded byte for byte with their Host header, so SigV4 signatures still match. <see cref="Plan"/> picks each
/// request's fault (the default: every third request, cycling through the three). Compiled into each test project
/// that needs it; that project needs the ASP.NET Core shared framework.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };
    private readonly WebApplication _app;
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None });
    private int _requests;
    private int _faults;

    private FaultProxy(WebApplication app, Uri target)
    {
        _app = app;
        Target = target;
    }

    public Uri Target { get; }
    public Uri Endpoint { get; private set; } = null!;
    /// <summary>Given the request's number (from 1), the fault to inject.</summary>
    public Func<int, Fault> Plan { get; set; } = n => (n % 3) switch { 0 => (Fault)(1 + (n / 3) % 3), _ => Fault.None };
    /// <summary>How long a <see cref="Fault.Slow"/> request is held before it is forwarded.</summary>
    public TimeSpan SlowBy { get; set; } = TimeSpan.FromSeconds(3);
    public int Requests => Volatile.Read(ref _requests);
    public int Faults => Volatile.Read(ref _faults);

    public static async Task<FaultProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var proxy = new FaultProxy(app, target);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        proxy.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var fault = Plan(Interlocked.Increment(ref _requests));
        if (fault != Fault.None) Interlocked.Increment(ref _faults);
        switch (fault)
        {
            case Fault.SlowDown503:
                // Drain the body first, as a real server would have received it.
                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.StatusCode = 503;
                context.Response.ContentType = "application/xml";
                await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
                return;
            case Fault.Reset:
                context.Abort();
                return;
            case Fault.Slow:
                try
                {
                    await Task.Delay(SlowBy, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return; // the client gave up, as it should
                }
                break;
        }
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Target, context.Request.Path + context.Request.QueryString));
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            request.Content = new StreamContent(context.Request.Body);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopHeaders.Contains(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue;
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && request.Content is not null)
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        // The signature covers the Host the client sent.
        request.Headers.Host = context.Request.Host.Value;
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopHeaders.Contains(name)) context.Response.Headers[name] = values.ToArray();
        }
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
