using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace KeyCustody.Daemon.Grpc;

/// <summary>
/// Binds every gRPC service the way Grpc.AspNetCore's own binder does (the generated <c>BindService</c> method, each
/// call handled by the overriding method of the service class), with one difference: a request message that does not
/// parse (truncated, a wrong wire type, groups nested past the parser's recursion limit) is refused with
/// INVALID_ARGUMENT and says why. With the stock binder the parser's exception escapes as UNKNOWN "Exception was
/// thrown by handler", which tells the caller nothing and looks like a daemon fault. Nothing of the request reaches
/// our code either way.
/// </summary>
internal static class StrictRequestBinding
{
    /// <summary>
    /// What Grpc.AspNetCore requires of a service type (its own binder's annotation): kept by the ahead-of-time compiler
    /// for every service type bound here, so the overrides found by name below exist in the native daemon.
    /// </summary>
    public const DynamicallyAccessedMemberTypes ServiceMembers =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods;

    /// <summary>Replaces Grpc.AspNetCore's binder (call after <c>AddGrpc</c>).</summary>
    public static IServiceCollection UseStrictRequestBinding(this IServiceCollection services)
    {
        var stock = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>)
            && d.ImplementationType is { Name: "BinderServiceMethodProvider`1" }).ToList();
        if (stock.Count != 1)
        {
            throw new InvalidOperationException("Grpc.AspNetCore's BinderServiceMethodProvider is not registered as expected: call AddGrpc first (or the package changed)");
        }

        services.Remove(stock[0]);
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>));
        return services;
    }

    /// <summary>The request marshaller, with parse failures turned into INVALID_ARGUMENT.</summary>
    internal static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var inner = method.RequestMarshaller;
        var marshaller = Marshallers.Create(inner.ContextualSerializer, context =>
        {
            try
            {
                return inner.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"the {typeof(TRequest).Name} message is not valid protobuf: {e.Message}; nothing was done"));
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }
}

/// <summary>Finds the generated <c>BindService(ServiceBinderBase, TBase)</c> and lets <see cref="StrictBinder{TService}"/> bind.</summary>
internal sealed class StrictServiceMethodProvider<[DynamicallyAccessedMembers(StrictRequestBinding.ServiceMembers)] TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is not { } bind)
            {
                continue;
            }

            var bindMethod = bind.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Single(m => m.Name == bind.BindMethodName && m.GetParameters() is [{ } first, _] && first.ParameterType == typeof(ServiceBinderBase));
            var binder = new StrictBinder<TService>(context, bindMethod.GetParameters()[1].ParameterType);
            bindMethod.Invoke(null, [binder, null]);
            return;
        }

        throw new InvalidOperationException($"{typeof(TService).Name} has no generated BindService method to bind");
    }
}

/// <summary>Adds each method with <see cref="StrictRequestBinding.Strict{TRequest, TResponse}"/>, invoking the service's override.</summary>
internal sealed class StrictBinder<[DynamicallyAccessedMembers(StrictRequestBinding.ServiceMembers)] TService>(ServiceMethodProviderContext<TService> context, Type baseType) : ServiceBinderBase
    where TService : class
{
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
        context.AddUnaryMethod(StrictRequestBinding.Strict(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
        context.AddServerStreamingMethod(StrictRequestBinding.Strict(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
        context.AddClientStreamingMethod(StrictRequestBinding.Strict(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
        context.AddDuplexStreamingMethod(StrictRequestBinding.Strict(method), metadata, invoker);
    }

    /// <summary>The service's override of the generated base method (an unimplemented method stays the base's, which answers UNIMPLEMENTED).</summary>
    private (TDelegate Invoker, List<object> Metadata) Bind<TDelegate>(string name, params Type[] parameters)
        where TDelegate : Delegate
    {
        var handler = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, null, parameters, null);
        if (handler is null || handler.GetBaseDefinition().DeclaringType != baseType)
        {
            throw new InvalidOperationException($"{typeof(TService).Name} has no method {name} overriding {baseType.Name}.{name}");
        }

        var metadata = new List<object>();
        metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
        metadata.AddRange(handler.GetCustomAttributes(inherit: true));
        metadata.Add(new HttpMethodMetadata(["POST"]));
        return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
    }
}
